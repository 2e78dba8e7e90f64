import { pipelineV1 } from '@pipewright/contracts';
import { GrpcClient, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { freePort } from './support';

/**
 * pipeline-definition and orchestrator as their own processes on free ports, the orchestrator in
 * its own schema and consumer groups, so it can be killed and started again to resume its work.
 * Used by the crash and replay tests and by bench/orchestrator.bench.ts.
 */
export class Orchestration {
  pipelines!: GrpcClient;
  executions!: GrpcClient;
  definition!: ServiceProcess;
  orchestrator!: ServiceProcess;
  private orchestratorEnv: Record<string, string> = {};

  constructor(
    readonly schema: string,
    private readonly infrastructure: { databaseUrl: string; kafkaBrokers: string[] },
    /** Extra environment for the orchestrator process only. */
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    const [definitionPort, orchestratorPort, definitionHttp, orchestratorHttp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { DATABASE_URL: this.infrastructure.databaseUrl, KAFKA_BROKERS: this.infrastructure.kafkaBrokers.join(',') };
    const definitionAddress = `127.0.0.1:${definitionPort}`;
    this.definition = startServiceProcess('pipeline-definition', { ...common, PIPEWRIGHT_PIPELINE_DEFINITION_PORT: String(definitionPort), PIPEWRIGHT_PIPELINE_DEFINITION_HTTP_PORT: String(definitionHttp) });
    this.orchestratorEnv = {
      ...common,
      ...this.extraEnv,
      PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS: definitionAddress,
      PIPEWRIGHT_ORCHESTRATOR_ADDRESS: `127.0.0.1:${orchestratorPort}`,
      PIPEWRIGHT_ORCHESTRATOR_PORT: String(orchestratorPort),
      PIPEWRIGHT_ORCHESTRATOR_HTTP_PORT: String(orchestratorHttp),
      PIPEWRIGHT_ORCHESTRATOR_SCHEMA: this.schema,
      PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: this.schema,
      // The topics are shared by every suite: new groups start at their ends (committed before they join).
      PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
    };
    this.orchestrator = startServiceProcess('orchestrator', this.orchestratorEnv);
    await Promise.all([waitUntilServing(definitionAddress, this.definition, 90_000), waitUntilServing(this.orchestratorEnv.PIPEWRIGHT_ORCHESTRATOR_ADDRESS, this.orchestrator, 90_000)]);
    this.pipelines = new GrpcClient('PipelineService', definitionAddress);
    this.executions = new GrpcClient('ExecutionService', this.orchestratorEnv.PIPEWRIGHT_ORCHESTRATOR_ADDRESS);
  }

  /** Kills the orchestrator with `signal`, starts it again with the same schema and groups, waits until it serves. */
  async restartOrchestrator(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exit = await this.orchestrator.stop(signal);
    this.orchestrator = startServiceProcess('orchestrator', this.orchestratorEnv);
    await waitUntilServing(this.orchestratorEnv.PIPEWRIGHT_ORCHESTRATOR_ADDRESS, this.orchestrator, 90_000);
    return exit;
  }

  /**
   * Another orchestrator on the same schema whose consumer groups are its own (`groupPrefix`): it
   * decides every job event and execution request the first one decides, each with its own fold cache.
   */
  async startAnotherOrchestrator(groupPrefix: string): Promise<ServiceProcess> {
    const [port, http] = await Promise.all([freePort(), freePort()]);
    const address = `127.0.0.1:${port}`;
    const other = startServiceProcess('orchestrator', {
      ...this.orchestratorEnv,
      PIPEWRIGHT_ORCHESTRATOR_ADDRESS: address,
      PIPEWRIGHT_ORCHESTRATOR_PORT: String(port),
      PIPEWRIGHT_ORCHESTRATOR_HTTP_PORT: String(http),
      PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: groupPrefix,
    });
    await waitUntilServing(address, other, 90_000);
    return other;
  }

  /** Creates the pipeline and returns its declaration as stored (what ExecutionRequested carries). */
  async createPipeline(pipeline: object): Promise<pipelineV1.PipelineDeclaration> {
    await this.pipelines.call('CreatePipeline', { pipeline });
    const { pipeline: stored } = await this.pipelines.call('GetPipeline', { name: (pipeline as { name: string }).name });
    return pipelineV1.PipelineDeclaration.fromPartial(stored);
  }

  async getExecution(pipelineName: string, pipelineExecutionId: string) {
    return (await this.executions.call('GetPipelineExecution', { pipelineName, pipelineExecutionId })).pipelineExecution;
  }

  /** SIGTERM to both; the exits, orchestrator first. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }[]> {
    this.pipelines?.close();
    this.executions?.close();
    return Promise.all([this.orchestrator?.stop(), this.definition?.stop()]);
  }
}

const source = { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' };
const noOp = { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' };

/**
 * A Source stage, then stages of NoOp actions: `stages[i][j]` is how many actions run in parallel in
 * runOrder j + 1 of stage i. PARALLEL mode: executions do not wait for each other.
 */
export function noOpPipeline(name: string, stages: number[][]) {
  return {
    name,
    pipelineType: 'V2',
    executionMode: 'PARALLEL',
    stages: [
      { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: source, configuration: { RepositoryUrl: '/tmp/any-repository' }, outputArtifacts: [{ name: 'Src' }] }] },
      ...stages.map((groups, s) => ({
        name: `Stage${s + 1}`,
        actions: groups.flatMap((width, g) =>
          Array.from({ length: width }, (_, a) => ({ name: `S${s + 1}R${g + 1}A${a + 1}`, actionTypeId: noOp, inputArtifacts: [{ name: 'Src' }], runOrder: g + 1 })),
        ),
      })),
    ],
  };
}
