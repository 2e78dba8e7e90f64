import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { errorMetadataKeys, jobV1, timestampFromDate } from '@pipewright/contracts';
import { EventStore, openEventStore } from '@pipewright/event-store';
import { Topics } from '@pipewright/messaging';
import { GrpcClient, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv, uniqueName, rejected } from '@pipewright/testing';
import { executionEvents } from '../src/executions/streams';
import { eventually, freePort, JobWorkerDouble } from './support';

const workspaceRoot = join(__dirname, '..', '..', '..');
const git = { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' };

interface RpcError {
  code: number;
  details: string;
  metadata: Metadata;
}


const errorName = (error: RpcError) => error.metadata.get(errorMetadataKeys.errorCode)[0];

/** The example worker as a real process, for `maxJobs` job passes. */
function runExampleWorker(address: string, provider: string, maxJobs: number) {
  const child = spawn(process.execPath, ['-r', '@pipewright/ts-register', 'examples/custom-worker/worker.ts', '--address', address, '--provider', provider, '--max-jobs', String(maxJobs)], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

jest.setTimeout(120_000);

describe('JobService for custom workers (real pipeline-definition, orchestrator and example worker processes)', () => {
  const schema = uniqueName('orchestrator_jobs_e2e');
  const provider = uniqueName('fw').slice(0, 35);
  const customType = { category: 'Deploy', owner: 'Custom', provider, version: '1' };
  const dir = mkdtempSync(join(tmpdir(), 'pipewright-custom-worker-'));
  let definition: ServiceProcess;
  let orchestrator: ServiceProcess;
  let orchestratorAddress: string;
  let pipelines: GrpcClient;
  let executions: GrpcClient;
  let jobs: GrpcClient;
  let kafkaWorker: JobWorkerDouble;
  let store: EventStore;

  beforeAll(async () => {
    const env = testEnv();
    const [definitionPort, orchestratorPort, definitionHttp, orchestratorHttp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') };
    const definitionAddress = `127.0.0.1:${definitionPort}`;
    orchestratorAddress = `127.0.0.1:${orchestratorPort}`;
    definition = startServiceProcess('pipeline-definition', { ...common, PIPEWRIGHT_PIPELINE_DEFINITION_PORT: String(definitionPort), PIPEWRIGHT_PIPELINE_DEFINITION_HTTP_PORT: String(definitionHttp) });
    orchestrator = startServiceProcess('orchestrator', {
      ...common,
      PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS: definitionAddress,
      PIPEWRIGHT_ORCHESTRATOR_PORT: String(orchestratorPort),
      PIPEWRIGHT_ORCHESTRATOR_HTTP_PORT: String(orchestratorHttp),
      PIPEWRIGHT_ORCHESTRATOR_SCHEMA: schema,
      PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: schema,
      // The topics are shared by every suite: new groups start at their ends (committed before they join).
      PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
      // Long enough that a poll made before the start outlives the dispatch on a loaded machine.
      PIPEWRIGHT_POLL_FOR_JOBS_WAIT_MS: '20000',
    });
    await Promise.all([waitUntilServing(definitionAddress, definition, 90_000), waitUntilServing(orchestratorAddress, orchestrator, 90_000)]);
    pipelines = new GrpcClient('PipelineService', definitionAddress);
    executions = new GrpcClient('ExecutionService', orchestratorAddress);
    jobs = new GrpcClient('JobService', orchestratorAddress);
    kafkaWorker = new JobWorkerDouble(env.kafkaBrokers, uniqueName('orchestrator-jobs-test-worker'));
    await kafkaWorker.start();
    store = await openEventStore({ url: env.databaseUrl, schema });
    await pipelines.call('CreateCustomActionType', {
      ...customType,
      settings: {},
      configurationProperties: [
        { name: 'File', required: true, key: true, secret: false, queryable: true, type: 'String' },
        { name: 'Message', required: true, key: false, secret: false, queryable: false, type: 'String' },
        { name: 'Steps', required: false, key: false, secret: false, queryable: false, type: 'Number' },
      ],
      inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
    });
  }, 150_000);

  afterAll(async () => {
    pipelines?.close();
    executions?.close();
    jobs?.close();
    await kafkaWorker?.stop();
    await store?.close();
    const exits = await Promise.all([orchestrator?.stop(), definition?.stop()]);
    if (exits.some((e) => e?.code !== 0)) console.log(orchestrator.lines.slice(-40).join('\n'));
    rmSync(dir, { recursive: true, force: true });
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  /** Source (played over Kafka by the test) → Deploy with one action of the custom type. */
  async function createPipeline(configuration: Record<string, string>) {
    const name = uniqueName('custom_jobs');
    const pipeline = {
      name,
      stages: [
        { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: git, configuration: { RepositoryUrl: '/tmp/any-repository' }, outputArtifacts: [{ name: 'Src' }] }] },
        { name: 'Deploy', actions: [{ name: 'Write', actionTypeId: customType, configuration, inputArtifacts: [{ name: 'Src' }], namespace: 'Written' }] },
      ],
    };
    const created = await pipelines.call('CreatePipeline', { pipeline });
    return { name, created };
  }

  async function start(name: string): Promise<string> {
    const { pipelineExecutionId } = await executions.call('StartPipelineExecution', { name });
    const source = await kafkaWorker.job(name, 'Checkout');
    await kafkaWorker.acknowledge(source);
    await kafkaWorker.succeed(source);
    return pipelineExecutionId;
  }

  const poll = async (maxBatchSize = 1, queryParam: Record<string, string> = {}): Promise<jobV1.Job[]> =>
    (await jobs.call('PollForJobs', { actionTypeId: customType, maxBatchSize, queryParam })).jobs;
  const execution = async (name: string, id: string) => (await executions.call('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id })).pipelineExecution;
  const reaches = (name: string, id: string, wanted: string) => eventually(`execution ${id} ${wanted}`, async () => ((await execution(name, id)).status === wanted ? true : undefined));
  const writeAction = async (name: string) => {
    const state = await executions.call('GetPipelineState', { name });
    return state.stageStates.find((s: any) => s.stageName === 'Deploy').actionStates[0].latestExecution;
  };
  const pendingRows = async (jobId: string) => (await store.query(`SELECT 1 FROM "${schema}".pending_jobs WHERE job_id = $1`, [jobId])).length;

  it('the example worker runs the custom action as a real process and the execution succeeds with its output variables', async () => {
    const file = join(dir, 'hello.txt');
    const { name, created } = await createPipeline({ File: file, Message: 'hello from a custom worker' });
    expect(created.actionsAwaitingWorker).toEqual([{ stageName: 'Deploy', actionName: 'Write', actionTypeId: customType }]);
    const id = await start(name);

    const worker = runExampleWorker(orchestratorAddress, provider, 1);
    const code = await worker.exited;
    if (code !== 0) console.log(worker.lines.join('\n'));
    expect(code).toBe(0);
    await reaches(name, id, 'Succeeded');

    expect(readFileSync(file, 'utf8')).toBe('hello from a custom worker\n');
    const listed = await executions.call('ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: id } });
    const write = listed.actionExecutionDetails.find((d: any) => d.actionName === 'Write');
    expect(write.status).toBe('Succeeded');
    expect(write.output.outputVariables).toEqual({ File: file, StepsDone: '1' });
    expect(await pendingRows(write.actionExecutionId)).toBe(0);
    const types = (await executionEvents(store, id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['JobAcknowledged', 'ActionExecutionSucceeded', 'PipelineExecutionSucceeded']));
  });

  it('a long poll answers when the job is dispatched; a continuation token keeps the action InProgress and hands the job out again with it', async () => {
    const file = join(dir, 'steps.txt');
    const { name } = await createPipeline({ File: file, Message: 'two passes', Steps: '2' });
    const waiting = poll(); // before the job exists: the call is held until it is dispatched
    const id = await start(name);
    const [job] = await waiting;
    expect(job).toBeDefined();
    expect(job.data?.pipelineContext?.pipelineExecutionId).toBe(id);
    expect(job.data?.actionConfiguration?.configuration).toEqual({ File: file, Message: 'two passes', Steps: '2' });
    expect(job.data?.continuationToken).toBe('');

    expect((await jobs.call('AcknowledgeJob', { jobId: job.id, nonce: job.nonce })).status).toBe('InProgress');
    await jobs.call('PutJobSuccessResult', { jobId: job.id, continuationToken: 'step:1', executionDetails: { summary: 'first pass done by the test' } });
    expect((await writeAction(name)).status).toBe('InProgress');

    const details = await jobs.call('GetJobDetails', { jobId: job.id });
    expect(details.jobDetails).toMatchObject({ id: job.id, data: { continuationToken: 'step:1' } });

    // The example worker takes the job back with the token and finishes it.
    const worker = runExampleWorker(orchestratorAddress, provider, 1);
    const code = await worker.exited;
    if (code !== 0) console.log(worker.lines.join('\n'));
    expect(code).toBe(0);
    expect(worker.lines.some((l) => l.includes('"continuationToken":"step:1"'))).toBe(true);
    await reaches(name, id, 'Succeeded');
    expect(readFileSync(file, 'utf8')).toBe('two passes (step 2 of 2)\n');
    expect((await writeAction(name)).status).toBe('Succeeded');
  });

  it('PutJobFailureResult fails the action; a wrong nonce, unknown jobs and results for a finished job are refused', async () => {
    const { name } = await createPipeline({ File: join(dir, 'never.txt'), Message: 'not written' });
    const id = await start(name);
    // Two pollers, one job: only one of them gets it (the other's call ends empty after the wait).
    const [first, second] = await Promise.all([poll(), poll()]);
    expect(first.length + second.length).toBe(1);
    const job = [...first, ...second][0];

    const wrongNonce = await rejected(jobs.call('AcknowledgeJob', { jobId: job.id, nonce: 'not-the-nonce' }));
    expect(wrongNonce.code).toBe(status.INVALID_ARGUMENT);
    expect(errorName(wrongNonce)).toBe('InvalidNonceException');
    const noNonce = await rejected(jobs.call('AcknowledgeJob', { jobId: job.id, nonce: '' }));
    expect(noNonce.code).toBe(status.INVALID_ARGUMENT);

    for (const [method, request] of [
      ['PutJobSuccessResult', { jobId: 'no-such-job' }],
      ['PutJobFailureResult', { jobId: 'no-such-job', failureDetails: { type: 'JobFailed', message: 'x' } }],
      ['GetJobDetails', { jobId: 'no-such-job' }],
      ['AcknowledgeJob', { jobId: 'no-such-job', nonce: 'n' }],
    ] as const) {
      const error = await rejected(jobs.call(method, request));
      expect([method, error.code, errorName(error)]).toEqual([method, status.NOT_FOUND, 'JobNotFoundException']);
    }
    const badType = await rejected(jobs.call('PutJobFailureResult', { jobId: job.id, failureDetails: { type: 'Oops', message: 'x' } }));
    expect(badType.code).toBe(status.INVALID_ARGUMENT);
    const badBatch = await rejected(jobs.call('PollForJobs', { actionTypeId: customType, maxBatchSize: 101 }));
    expect(badBatch.code).toBe(status.INVALID_ARGUMENT);

    await jobs.call('AcknowledgeJob', { jobId: job.id, nonce: job.nonce });
    await jobs.call('PutJobFailureResult', { jobId: job.id, failureDetails: { type: 'JobFailed', message: 'the target refused the deployment' } });
    await reaches(name, id, 'Failed');
    expect(await writeAction(name)).toMatchObject({ status: 'Failed', errorDetails: { code: 'JobFailed', message: 'the target refused the deployment' } });
    expect(await pendingRows(job.id)).toBe(0);

    const late = await rejected(jobs.call('PutJobSuccessResult', { jobId: job.id }));
    expect([late.code, errorName(late)]).toEqual([status.FAILED_PRECONDITION, 'InvalidJobStateException']);
    expect((await jobs.call('AcknowledgeJob', { jobId: job.id, nonce: job.nonce })).status).toBe('Failed');
  });

  it('a JobSucceeded on Kafka with a stale nonce changes nothing; query_param selects jobs by configuration', async () => {
    const file = join(dir, 'kafka.txt');
    const { name } = await createPipeline({ File: file, Message: 'kafka' });
    const id = await start(name);
    // Another file's jobs are not this poller's (File is the type's queryable property).
    expect(await poll(1, { File: join(dir, 'other.txt') })).toEqual([]);
    const [job] = await poll(1, { File: file });
    expect(job).toBeDefined();

    const ref = { jobId: job.id, pipelineName: name, pipelineExecutionId: id, stageName: 'Deploy', actionName: 'Write', attempt: 1 };
    const stale = jobV1.JobSucceeded.fromPartial({ job: ref, nonce: 'a-stale-nonce', executionDetails: { summary: 'replayed' }, time: timestampFromDate(new Date()) });
    await kafkaWorker.publish(Topics.JobEvents, name, 'pipewright.job.v1.JobSucceeded', jobV1.JobSucceeded.encode(stale).finish());
    // Same key, same partition: once the heartbeat sent after it is recorded, the stale result has been handled.
    const heartbeat = jobV1.JobHeartbeat.fromPartial({ job: ref, nonce: job.nonce, workerId: 'test', time: timestampFromDate(new Date()) });
    await kafkaWorker.publish(Topics.JobEvents, name, 'pipewright.job.v1.JobHeartbeat', jobV1.JobHeartbeat.encode(heartbeat).finish());
    await eventually('the heartbeat recorded', async () => ((await executionEvents(store, id)).some((e) => e.type === 'JobHeartbeatRecorded') ? true : undefined));

    const ofWrite = (await executionEvents(store, id)).filter((e) => (e.data as { actionName?: string }).actionName === 'Write').map((e) => e.type);
    expect(ofWrite).toEqual(['ActionExecutionStarted', 'JobHeartbeatRecorded']);
    await eventually('the refusal in the orchestrator log', () => orchestrator.lines.some((l) => l.includes(job.id) && l.includes('JobNonceMismatch')) || undefined);
    expect((await writeAction(name)).status).toBe('InProgress');
    expect(await pendingRows(job.id)).toBe(1);

    // The right nonce over Kafka completes it: one behaviour whichever way the result comes.
    const right = jobV1.JobSucceeded.fromPartial({ job: ref, nonce: job.nonce, executionDetails: { summary: 'done over Kafka' }, time: timestampFromDate(new Date()) });
    await kafkaWorker.publish(Topics.JobEvents, name, 'pipewright.job.v1.JobSucceeded', jobV1.JobSucceeded.encode(right).finish());
    await reaches(name, id, 'Succeeded');
    expect(await pendingRows(job.id)).toBe(0);
  });
});
