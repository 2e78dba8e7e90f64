import { EventStore, openEventStore } from '@pipewright/event-store';
import { testEnv, uniqueName } from '@pipewright/testing';
import { executionStream } from '../src/executions/streams';
import { servedAndFolded } from './crash-log';
import { Orchestration } from './crash-services';
import { replay, writeGolden } from './replay-golden';
import { eventually, JobWorkerDouble, RequestedJob } from './support';

/** PIPEWRIGHT_RECORD_GOLDEN=1 writes test/golden/<scenario>.json from this run (replay-golden.spec.ts replays them). */
const RECORD = process.env.PIPEWRIGHT_RECORD_GOLDEN === '1';

const git = { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' };
const noOp = { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' };
const manual = { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' };

function declaration(name: string, { approval = false } = {}) {
  const stages: object[] = [
    { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: git, configuration: { RepositoryUrl: '/tmp/any-repository' }, outputArtifacts: [{ name: 'Src' }] }] },
    {
      name: 'Build',
      actions: [
        { name: 'Compile', actionTypeId: noOp, inputArtifacts: [{ name: 'Src' }], outputArtifacts: [{ name: 'Bin' }], runOrder: 1 },
        { name: 'Lint', actionTypeId: noOp, inputArtifacts: [{ name: 'Src' }], runOrder: 1 },
        { name: 'Package', actionTypeId: noOp, inputArtifacts: [{ name: 'Bin' }], runOrder: 2 },
      ],
    },
  ];
  if (approval) stages.push({ name: 'Approve', actions: [{ name: 'Release', actionTypeId: manual, configuration: { CustomData: 'ship it?' } }] });
  return { name, stages };
}

jest.setTimeout(180_000);

describe('replay: the stored log folds to what the orchestrator serves (real processes)', () => {
  const env = testEnv();
  const schema = uniqueName('orchestrator_replay');
  const orchestration = new Orchestration(schema, env);
  const worker = new JobWorkerDouble(env.kafkaBrokers, uniqueName('orchestrator-replay-worker'));
  /** scenario → [pipeline, execution id] */
  const runs = new Map<string, [string, string]>();
  let store: EventStore;

  beforeAll(async () => {
    await orchestration.start();
    await worker.start();
    store = await openEventStore({ url: env.databaseUrl, schema });
  }, 120_000);

  afterAll(async () => {
    await worker.stop();
    await store?.close();
    expect(await orchestration.stop()).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  const status = async (name: string, id: string) => (await orchestration.getExecution(name, id)).status;
  const reaches = (name: string, id: string, wanted: string) => eventually(`${id} ${wanted}`, async () => ((await status(name, id)) === wanted ? true : undefined));
  const succeed = async (job: RequestedJob) => {
    await worker.acknowledge(job);
    await worker.succeed(job);
  };
  const start = async (scenario: string, options?: { approval: boolean }) => {
    const name = uniqueName(`orch_replay_${scenario.replace(/-/g, '_')}`);
    await orchestration.pipelines.call('CreatePipeline', { pipeline: declaration(name, options) });
    const { pipelineExecutionId } = await orchestration.executions.call('StartPipelineExecution', { name });
    runs.set(scenario, [name, pipelineExecutionId]);
    await succeed(await worker.job(name, 'Checkout'));
    return [name, pipelineExecutionId] as const;
  };

  it('runs an approved execution, a failed one retried, and a stopped one', async () => {
    const [approved, a] = await start('approved-after-parallel-builds', { approval: true });
    await Promise.all(['Compile', 'Lint'].map(async (action) => succeed(await worker.job(approved, action))));
    await succeed(await worker.job(approved, 'Package'));
    const token = await eventually('the approval token', async () => {
      const state = await orchestration.executions.call('GetPipelineState', { name: approved });
      return state.stageStates.find((s: any) => s.stageName === 'Approve')?.actionStates[0]?.latestExecution?.token || undefined;
    });
    await orchestration.executions.call('PutApprovalResult', { pipelineName: approved, stageName: 'Approve', actionName: 'Release', token, result: { status: 'Approved', summary: 'ship it' } });
    await reaches(approved, a, 'Succeeded');

    const [retried, r] = await start('failed-then-retried');
    const compile = await worker.job(retried, 'Compile');
    await worker.acknowledge(compile);
    await worker.fail(compile, 'exit status 2');
    await succeed(await worker.job(retried, 'Lint'));
    await reaches(retried, r, 'Failed');
    await orchestration.executions.call('RetryStageExecution', { pipelineName: retried, pipelineExecutionId: r, stageName: 'Build', retryMode: 'FAILED_ACTIONS' });
    await succeed(await worker.job(retried, 'Compile', 2));
    await succeed(await worker.job(retried, 'Package'));
    await reaches(retried, r, 'Succeeded');

    const [stopped, s] = await start('stopped-abandoning-builds');
    await worker.job(stopped, 'Compile');
    await orchestration.executions.call('StopPipelineExecution', { pipelineName: stopped, pipelineExecutionId: s, abandon: true, reason: 'wrong branch' });
    await reaches(stopped, s, 'Stopped');
  });

  it('folding each execution’s events from the store gives exactly what GetPipelineExecution serves', async () => {
    expect([...runs.keys()]).toHaveLength(3);
    for (const [scenario, [name, id]] of runs) {
      const { served, folded } = await servedAndFolded(orchestration, store, name, id);
      expect([scenario, served]).toEqual([scenario, folded]);
      // The golden replay path (stored rows, metadata and all) agrees with the service too.
      const events = await store.readStream(executionStream(id));
      const replayed = await replay(events);
      expect(replayed.pipelineExecution).toEqual(served);
      if (RECORD) writeGolden({ scenario, recordedAt: new Date().toISOString(), events, expected: replayed });
    }
  });
});
