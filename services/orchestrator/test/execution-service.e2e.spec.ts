import { status } from '@grpc/grpc-js';
import { executionV1, pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { Topics } from '@pipewright/messaging';
import { EventStore, openEventStore } from '@pipewright/event-store';
import { fold } from '@pipewright/decider';
import { executionDecider, pipelineExecutionView } from '@pipewright/execution-domain';
import { GrpcClient, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv, uniqueName, rejected } from '@pipewright/testing';
import { executionEvents } from '../src/executions/streams';
import { pipelineExecutionMessage } from '../src/executions/views';
import { eventually, freePort, JobWorkerDouble } from './support';

const git = { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' };
const noOp = { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' };
const manual = { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' };

function declaration(name: string, { approval = true, builds = ['BuildA', 'BuildB'] } = {}) {
  const stages: any[] = [
    { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: git, configuration: { RepositoryUrl: '/tmp/any-repository' }, outputArtifacts: [{ name: 'Src' }] }] },
    { name: 'Build', actions: builds.map((b) => ({ name: b, actionTypeId: noOp, inputArtifacts: [{ name: 'Src' }], runOrder: 1 })) },
  ];
  if (approval) stages.push({ name: 'Approve', actions: [{ name: 'Release', actionTypeId: manual, configuration: { CustomData: 'ship it?' } }] });
  return { name, stages };
}


jest.setTimeout(240_000);

describe('ExecutionService (real pipeline-definition and orchestrator processes, Kafka, PostgreSQL)', () => {
  const schema = uniqueName('orchestrator_e2e');
  let definition: ServiceProcess;
  let orchestrator: ServiceProcess;
  let pipelines: GrpcClient;
  let executions: GrpcClient;
  let worker: JobWorkerDouble;
  let store: EventStore;
  let orchestratorEnv: Record<string, string>;

  beforeAll(async () => {
    const env = testEnv();
    const [definitionPort, orchestratorPort, definitionHttp, orchestratorHttp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') };
    const addresses = { PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS: `127.0.0.1:${definitionPort}`, PIPEWRIGHT_ORCHESTRATOR_ADDRESS: `127.0.0.1:${orchestratorPort}` };
    definition = startServiceProcess('pipeline-definition', { ...common, PIPEWRIGHT_PIPELINE_DEFINITION_PORT: String(definitionPort), PIPEWRIGHT_PIPELINE_DEFINITION_HTTP_PORT: String(definitionHttp) });
    orchestratorEnv = {
      ...common,
      ...addresses,
      PIPEWRIGHT_ORCHESTRATOR_PORT: String(orchestratorPort),
      PIPEWRIGHT_ORCHESTRATOR_HTTP_PORT: String(orchestratorHttp),
      PIPEWRIGHT_ORCHESTRATOR_SCHEMA: schema,
      PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: schema,
      // The topics are shared by every suite: new groups start at their ends (committed before they join).
      PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
    };
    orchestrator = startServiceProcess('orchestrator', orchestratorEnv);
    await Promise.all([waitUntilServing(addresses.PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS, definition, 90_000), waitUntilServing(addresses.PIPEWRIGHT_ORCHESTRATOR_ADDRESS, orchestrator, 90_000)]);
    pipelines = new GrpcClient('PipelineService', addresses.PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS);
    executions = new GrpcClient('ExecutionService', addresses.PIPEWRIGHT_ORCHESTRATOR_ADDRESS);
    worker = new JobWorkerDouble(env.kafkaBrokers, uniqueName('orchestrator-test-worker'));
    await worker.start();
    store = await openEventStore({ url: env.databaseUrl, schema });
  }, 120_000);

  afterAll(async () => {
    pipelines?.close();
    executions?.close();
    await worker?.stop();
    await store?.close();
    const exits = await Promise.all([orchestrator?.stop(), definition?.stop()]);
    if (exits.some((e) => e?.code !== 0)) console.log(orchestrator.lines.slice(-40).join('\n'));
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  const execution = async (pipelineName: string, pipelineExecutionId: string): Promise<executionV1.PipelineExecution> =>
    (await executions.call('GetPipelineExecution', { pipelineName, pipelineExecutionId })).pipelineExecution;
  const reaches = (pipelineName: string, id: string, wanted: string) =>
    eventually(`execution ${id} ${wanted}`, async () => ((await execution(pipelineName, id)).status === wanted ? true : undefined));
  const runJob = async (pipelineName: string, actionName: string, attempt = 1) => {
    const job = await worker.job(pipelineName, actionName, attempt);
    await worker.acknowledge(job);
    await worker.succeed(job);
    return job;
  };

  it('runs Source, two parallel NoOps and a manual approval to Succeeded; the log folds to what GetPipelineExecution says', async () => {
    const name = uniqueName('orch_happy');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    expect((await execution(name, id)).status).toBe('InProgress');

    await runJob(name, 'Checkout');
    // Both actions of the runOrder group are requested before either has succeeded.
    const [a, b] = await Promise.all([worker.job(name, 'BuildA'), worker.job(name, 'BuildB')]);
    expect(worker.jobsOf(name).map((j) => j.data?.pipelineContext?.action?.name).sort()).toEqual(['BuildA', 'BuildB', 'Checkout']);
    expect(a.data?.inputArtifacts.map((i) => i.name)).toEqual(['Src']);
    for (const job of [a, b]) {
      await worker.acknowledge(job);
      await worker.succeed(job);
    }

    const token = await eventually('the approval token in GetPipelineState', async () => {
      const state = await executions.call('GetPipelineState', { name });
      return state.stageStates.find((s: any) => s.stageName === 'Approve')?.actionStates[0]?.latestExecution?.token || undefined;
    });
    const wrong = await rejected(executions.call('PutApprovalResult', { pipelineName: name, stageName: 'Approve', actionName: 'Release', token: 'not-the-token', result: { status: 'Approved', summary: 'ok' } }));
    expect(wrong.code).toBe(status.INVALID_ARGUMENT);
    expect(wrong.details).toMatch(/token/);
    const badStatus = await rejected(executions.call('PutApprovalResult', { pipelineName: name, stageName: 'Approve', actionName: 'Release', token, result: { status: 'Maybe' } }));
    expect(badStatus.code).toBe(status.INVALID_ARGUMENT);
    await executions.call('PutApprovalResult', { pipelineName: name, stageName: 'Approve', actionName: 'Release', token, result: { status: 'Approved', summary: 'ship it' } });
    await reaches(name, id, 'Succeeded');

    const again = await rejected(executions.call('PutApprovalResult', { pipelineName: name, stageName: 'Approve', actionName: 'Release', token, result: { status: 'Approved' } }));
    expect(again.code).toBe(status.FAILED_PRECONDITION);

    const folded = pipelineExecutionView(fold(executionDecider, await executionEvents(store, id)))!;
    const served = await execution(name, id);
    expect(executionV1.PipelineExecution.toJSON(executionV1.PipelineExecution.fromPartial(served))).toEqual(
      executionV1.PipelineExecution.toJSON(pipelineExecutionMessage(folded.pipelineExecution)),
    );
    expect(folded.pipelineExecution.status).toBe('Succeeded');

    // Every event says which execution it belongs to and what caused it: worker reports name the
    // job event and the worker.
    const recorded = await store.readStream(`execution-${id}`);
    expect(recorded.every((e) => e.metadata.correlationId === id)).toBe(true);
    const byWorker = recorded.filter((e) => ['JobAcknowledged', 'ActionExecutionSucceeded'].includes(e.type) && (e.data as { actionName: string }).actionName !== 'Release');
    expect(byWorker.length).toBe(6);
    for (const e of byWorker) expect(e.metadata).toMatchObject({ causationId: expect.any(String), actor: expect.stringMatching(/^worker/) });
    expect(recorded.find((e) => e.type === 'JobAcknowledged')?.metadata.actor).toBe('worker:test-worker');
    // Calls name the operation and the caller (anonymous here: authentication is off in this suite).
    expect(recorded[0]?.metadata).toMatchObject({ causationId: expect.stringMatching(/^grpc:StartPipelineExecution:/), actor: 'anonymous' });
    const approved = recorded.find((e) => e.type === 'ActionExecutionSucceeded' && (e.data as { actionName: string }).actionName === 'Release');
    expect(approved?.metadata).toMatchObject({ causationId: expect.stringMatching(/^grpc:PutApprovalResult:/), actor: 'anonymous' });

    const listed = await executions.call('ListPipelineExecutions', { pipelineName: name });
    expect(listed.pipelineExecutionSummaries.map((s: any) => [s.pipelineExecutionId, s.status])).toEqual([[id, 'Succeeded']]);

    // The execution-events topic tells the same story, in order, keyed by the pipeline.
    const pipelineStates = await eventually('PipelineExecutionStateChange SUCCEEDED on the execution-events topic', () => {
      const states = worker.executionEvents.filter((e) => e.pipelineName === name && e.type === 'pipewright.execution.v1.PipelineExecutionStateChange').map((e) => e.data.state);
      return states.includes('SUCCEEDED') ? states : undefined;
    });
    expect(pipelineStates).toEqual(['STARTED', 'SUCCEEDED']);
    const approvals = worker.executionEvents.filter((e) => e.pipelineName === name && e.type === 'pipewright.execution.v1.ApprovalStateChange').map((e) => e.data);
    expect(approvals.map((a) => a.state)).toEqual(['NEEDED', 'APPROVED']);
    expect(approvals[0]).toMatchObject({ token, stage: 'Approve', action: 'Release', customData: 'ship it?', executionId: id });
    expect(approvals[1]).toMatchObject({ summary: 'ship it', stage: 'Approve', action: 'Release' });
    const stages = worker.executionEvents.filter((e) => e.pipelineName === name && e.type === 'pipewright.execution.v1.StageExecutionStateChange').map((e) => `${e.data.stage}:${e.data.state}`);
    expect(stages).toEqual(['Source:STARTED', 'Source:SUCCEEDED', 'Build:STARTED', 'Build:SUCCEEDED', 'Approve:STARTED', 'Approve:SUCCEEDED']);
  });

  it('SUPERSEDED mode: a second execution waits for the Build stage the first holds, and enters when it is released', async () => {
    const name = uniqueName('orch_lanes');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const { pipelineExecutionId: first } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const firstBuild = await worker.job(name, 'BuildA');
    const { pipelineExecutionId: second } = await executions.call('StartPipelineExecution', { name });
    await eventually('a second Checkout job', () => (worker.jobsOf(name, 'Checkout').length === 2 ? true : undefined));
    const secondCheckout = worker.jobsOf(name, 'Checkout')[1];
    await worker.acknowledge(secondCheckout);
    await worker.succeed(secondCheckout);
    await eventually('the second execution waiting at Build', async () => {
      const state = await executions.call('GetPipelineState', { name });
      return state.stageStates.find((s: any) => s.stageName === 'Build').inboundExecution?.pipelineExecutionId === second ? true : undefined;
    });
    expect(worker.jobsOf(name, 'BuildA')).toHaveLength(1);
    await worker.acknowledge(firstBuild);
    await worker.succeed(firstBuild);
    await reaches(name, first, 'Succeeded');
    await eventually('the second execution\'s Build job', () => (worker.jobsOf(name, 'BuildA').length === 2 ? true : undefined));
    const secondBuild = worker.jobsOf(name, 'BuildA')[1];
    expect(secondBuild.data?.pipelineContext?.pipelineExecutionId).toBe(second);
    await worker.acknowledge(secondBuild);
    await worker.succeed(secondBuild);
    await reaches(name, second, 'Succeeded');
    const listed = await executions.call('ListPipelineExecutions', { pipelineName: name, maxResults: 1 });
    expect(listed.pipelineExecutionSummaries.map((x: any) => x.pipelineExecutionId)).toEqual([second]);
    const rest = await executions.call('ListPipelineExecutions', { pipelineName: name, nextToken: listed.nextToken });
    expect(rest.pipelineExecutionSummaries.map((x: any) => x.pipelineExecutionId)).toEqual([first]);
  });

  it('concurrent starts all succeed (conflicts on the lanes stream are decided again): one runs, the newest waits, the rest are Superseded', async () => {
    const name = uniqueName('orch_concurrent');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const started = await Promise.all(Array.from({ length: 8 }, () => executions.call('StartPipelineExecution', { name })));
    expect(new Set(started.map((x) => x.pipelineExecutionId)).size).toBe(8);
    const summaries = (await executions.call('ListPipelineExecutions', { pipelineName: name })).pipelineExecutionSummaries;
    const count = (wanted: string) => summaries.filter((x: any) => x.status === wanted).length;
    expect([count('InProgress'), count('Superseded')]).toEqual([2, 6]);
    const checkout = await worker.job(name, 'Checkout');
    const state = await executions.call('GetPipelineState', { name });
    const source = state.stageStates.find((x: any) => x.stageName === 'Source');
    expect(source.latestExecution.pipelineExecutionId).toBe(checkout.data?.pipelineContext?.pipelineExecutionId);
    expect(source.inboundExecutions).toHaveLength(1);
    expect(worker.jobsOf(name, 'Checkout')).toHaveLength(1);
  });

  it('starts executions from ExecutionRequested on the execution-requests topic, once per request id', async () => {
    const name = uniqueName('orch_requested');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const { pipeline } = await pipelines.call('GetPipeline', { name });
    const request = (requestId: string) =>
      pipelineV1.ExecutionRequested.encode(
        pipelineV1.ExecutionRequested.fromPartial({
          pipelineName: name,
          pipelineVersion: 1,
          declaration: pipelineV1.PipelineDeclaration.fromPartial(pipeline),
          trigger: { triggerType: 'Webhook', triggerDetail: requestId },
          requestId,
          time: timestampFromDate(new Date()),
        }),
      ).finish();
    const type = 'pipewright.pipeline.v1.ExecutionRequested';
    await worker.publish(Topics.ExecutionRequests, name, type, request('push-1'));
    await worker.publish(Topics.ExecutionRequests, name, type, request('push-1')); // redelivered by the producer: new event id, same request
    await worker.publish(Topics.ExecutionRequests, name, type, request('push-2'));
    // push-2 comes after the duplicate on the same partition: once it started, the duplicate was handled.
    const listed = await eventually('the execution of push-2', async () => {
      const page = await executions.call('ListPipelineExecutions', { pipelineName: name });
      return page.pipelineExecutionSummaries.some((x: any) => x.trigger.triggerDetail === 'push-2') ? page.pipelineExecutionSummaries : undefined;
    });
    expect(listed.map((x: any) => x.trigger).sort((a: any, b: any) => a.triggerDetail.localeCompare(b.triggerDetail))).toEqual([
      { triggerType: 'Webhook', triggerDetail: 'push-1' },
      { triggerType: 'Webhook', triggerDetail: 'push-2' },
    ]);
  });

  it('a failed job fails the execution; RetryStageExecution FAILED_ACTIONS re-runs only the failed action and it succeeds', async () => {
    const name = uniqueName('orch_retry');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const [a, b] = await Promise.all([worker.job(name, 'BuildA'), worker.job(name, 'BuildB')]);

    const early = await rejected(executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Build', retryMode: 'FAILED_ACTIONS' }));
    expect(early.code).toBe(status.FAILED_PRECONDITION);

    await worker.acknowledge(a);
    await worker.fail(a, 'exit status 2');
    await worker.acknowledge(b);
    await worker.succeed(b);
    await reaches(name, id, 'Failed');
    const failed = await executions.call('GetPipelineState', { name });
    const buildA = failed.stageStates.find((s: any) => s.stageName === 'Build').actionStates.find((x: any) => x.actionName === 'BuildA');
    expect(buildA.latestExecution).toMatchObject({ status: 'Failed', errorDetails: { code: 'JobFailed', message: 'exit status 2' } });

    const badMode = await rejected(executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Build', retryMode: 'SOME_ACTIONS' }));
    expect(badMode.code).toBe(status.INVALID_ARGUMENT);
    const notFailed = await rejected(executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Source', retryMode: 'FAILED_ACTIONS' }));
    expect(notFailed.code).toBe(status.FAILED_PRECONDITION);

    await executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Build', retryMode: 'FAILED_ACTIONS' });
    const retried = await worker.job(name, 'BuildA', 2);
    expect(retried.jobId).not.toBe(a.jobId);
    await worker.acknowledge(retried);
    await worker.succeed(retried);
    await reaches(name, id, 'Succeeded');
    expect(worker.jobsOf(name, 'BuildB')).toHaveLength(1);
  });

  it('ignores duplicate and stale job events: a repeated success and a result for a replaced attempt change nothing', async () => {
    const name = uniqueName('orch_dupes');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    const checkout = await runJob(name, 'Checkout');
    await worker.succeed(checkout);
    const build = await worker.job(name, 'BuildA');
    await worker.fail(build, 'first try');
    await reaches(name, id, 'Failed');
    await executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Build', retryMode: 'ALL_ACTIONS' });
    const second = await worker.job(name, 'BuildA', 2);
    await worker.succeed(build); // the replaced attempt reports late: refused, logged, skipped
    const heartbeatId = await worker.heartbeat(second);
    await worker.heartbeat(second, heartbeatId); // the same CloudEvent again: the inbox drops it
    await worker.succeed(second);
    await reaches(name, id, 'Succeeded');
    const types = (await executionEvents(store, id)).map((e) => e.type);
    expect(types.filter((t) => t === 'ActionExecutionSucceeded')).toHaveLength(2);
    expect(types.filter((t) => t === 'JobHeartbeatRecorded')).toHaveLength(1);
  });

  it('a JobSucceeded with a continuation token keeps the action running and hands the same job out again with the token', async () => {
    const name = uniqueName('orch_continue');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const first = await worker.job(name, 'BuildA');
    await worker.acknowledge(first);
    await worker.continue(first, 'page-2');
    const again = await eventually('the job handed out again with its token', () => worker.jobsOf(name, 'BuildA').find((j) => j.data?.continuationToken === 'page-2'));
    expect(again).toMatchObject({ jobId: first.jobId, nonce: first.nonce, data: { attempt: 1 } });
    expect((await execution(name, id)).status).toBe('InProgress');
    await worker.acknowledge(again);
    await worker.succeed(again);
    await reaches(name, id, 'Succeeded');
    const types = (await executionEvents(store, id)).map((e) => e.type);
    expect(types.filter((t) => t === 'JobContinued')).toHaveLength(1);
    expect(types.filter((t) => t === 'ActionExecutionStarted')).toHaveLength(2);
  });

  it('ListActionExecutions lists every attempt; RollbackStage re-runs a stage with what a successful execution had', async () => {
    const name = uniqueName('orch_rollback');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const failed = await worker.job(name, 'BuildA');
    await worker.fail(failed, 'exit 1');
    await reaches(name, id, 'Failed');
    await executions.call('RetryStageExecution', { pipelineName: name, pipelineExecutionId: id, stageName: 'Build', retryMode: 'FAILED_ACTIONS' });
    await runJob(name, 'BuildA', 2);
    await reaches(name, id, 'Succeeded');

    const listed = await executions.call('ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: id } });
    expect(listed.actionExecutionDetails.map((d: any) => [d.actionName, d.attempt, d.status])).toEqual([
      ['BuildA', 2, 'Succeeded'],
      ['BuildA', 1, 'Failed'],
      ['Checkout', 1, 'Succeeded'],
    ]);
    expect(listed.actionExecutionDetails[1].output.executionResult.errorDetails).toEqual({ code: 'JobFailed', message: 'exit 1' });
    expect(listed.actionExecutionDetails[2].output.outputArtifacts[0]).toMatchObject({ name: 'Src', location: { artifactId: 'art-Src' } });
    expect(listed.actionExecutionDetails[0].input.inputArtifacts.map((a: any) => a.name)).toEqual(['Src']);

    const first = await rejected(executions.call('RollbackStage', { pipelineName: name, stageName: 'Source', targetPipelineExecutionId: id }));
    expect(first.code).toBe(status.FAILED_PRECONDITION);
    const { pipelineExecutionId: rollback } = await executions.call('RollbackStage', { pipelineName: name, stageName: 'Build', targetPipelineExecutionId: id });
    const rerun = await eventually('the rollback\'s Build job', () => worker.jobsOf(name, 'BuildA').find((j) => j.data?.pipelineContext?.pipelineExecutionId === rollback));
    expect(rerun.data?.inputArtifacts.map((a) => a.location?.artifactId)).toEqual(['art-Src']);
    await worker.acknowledge(rerun);
    await worker.succeed(rerun);
    await reaches(name, rollback, 'Succeeded');
    expect(await execution(name, rollback)).toMatchObject({ executionType: 'ROLLBACK', rollbackMetadata: { rollbackTargetPipelineExecutionId: id } });
    expect(worker.jobsOf(name, 'Checkout')).toHaveLength(1);
  });

  it('client_request_token makes a start idempotent', async () => {
    const name = uniqueName('orch_token');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
    const first = await executions.call('StartPipelineExecution', { name, clientRequestToken: 'release-42' });
    const second = await executions.call('StartPipelineExecution', { name, clientRequestToken: 'release-42' });
    expect(second.pipelineExecutionId).toBe(first.pipelineExecutionId);
    const listed = await executions.call('ListPipelineExecutions', { pipelineName: name });
    expect(listed.pipelineExecutionSummaries).toHaveLength(1);
  });

  it('StopPipelineExecution with abandon marks the running actions Abandoned and the execution Stopped', async () => {
    const name = uniqueName('orch_stop');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    await worker.job(name, 'BuildA');
    await executions.call('StopPipelineExecution', { pipelineName: name, pipelineExecutionId: id, abandon: true, reason: 'wrong branch' });
    await reaches(name, id, 'Stopped');
    const state = await executions.call('GetPipelineState', { name });
    const build = state.stageStates.find((s: any) => s.stageName === 'Build');
    expect(build.actionStates.map((a: any) => a.latestExecution.status)).toEqual(['Abandoned', 'Abandoned']);
    const builds = worker.jobsOf(name).filter((j) => j.data?.pipelineContext?.stage?.name === 'Build').map((j) => j.jobId).sort();
    const cancelled = await eventually('JobCancelled for both Build jobs', () => {
      const ids = worker.cancelled.filter((c) => c.job?.pipelineName === name).map((c) => c.job!.jobId).sort();
      return ids.length === 2 ? worker.cancelled.filter((c) => c.job?.pipelineName === name) : undefined;
    });
    expect(cancelled.map((c) => c.job!.jobId).sort()).toEqual(builds);
    expect(cancelled.every((c) => c.abandon && c.reason === 'wrong branch')).toBe(true);
    const inSource = await executions.call('ListPipelineExecutions', { pipelineName: name, filter: { succeededInStage: { stageName: 'Source' } } });
    expect(inSource.pipelineExecutionSummaries.map((x: any) => x.pipelineExecutionId)).toEqual([id]);
    const inBuild = await executions.call('ListPipelineExecutions', { pipelineName: name, filter: { succeededInStage: { stageName: 'Build' } } });
    expect(inBuild.pipelineExecutionSummaries).toEqual([]);
    const twice = await rejected(executions.call('StopPipelineExecution', { pipelineName: name, pipelineExecutionId: id, abandon: true }));
    expect(twice.code).toBe(status.FAILED_PRECONDITION);
  });

  it('a disabled transition holds the execution before the stage until it is enabled', async () => {
    const name = uniqueName('orch_transition');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false, builds: ['BuildA'] }) });
    const noReason = await rejected(executions.call('DisableStageTransition', { pipelineName: name, stageName: 'Build', transitionType: 'Inbound' }));
    expect(noReason.code).toBe(status.INVALID_ARGUMENT);
    await executions.call('DisableStageTransition', { pipelineName: name, stageName: 'Source', transitionType: 'Outbound', reason: 'change freeze' });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const waiting = await eventually('the execution waiting at the Build transition', async () => {
      const state = await executions.call('GetPipelineState', { name });
      const build = state.stageStates.find((s: any) => s.stageName === 'Build');
      return build.inboundExecution?.pipelineExecutionId ? build : undefined;
    });
    expect(waiting.inboundExecution.pipelineExecutionId).toBe(id);
    expect(waiting.inboundTransitionState).toMatchObject({ enabled: false, disabledReason: 'change freeze' });
    expect(worker.jobsOf(name, 'BuildA')).toHaveLength(0);
    await executions.call('EnableStageTransition', { pipelineName: name, stageName: 'Build', transitionType: 'Inbound' });
    await runJob(name, 'BuildA');
    await reaches(name, id, 'Succeeded');
  });

  describe('bad input gets a precise gRPC error', () => {
    it('starting an unknown pipeline is NOT_FOUND', async () => {
      const error = await rejected(executions.call('StartPipelineExecution', { name: uniqueName('orch_nothing') }));
      expect(error.code).toBe(status.NOT_FOUND);
    });
    it('a start without a name is INVALID_ARGUMENT', async () => {
      expect((await rejected(executions.call('StartPipelineExecution', {}))).code).toBe(status.INVALID_ARGUMENT);
    });
    it('an unknown execution, or one of another pipeline, is NOT_FOUND', async () => {
      const name = uniqueName('orch_other');
      await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
      const { pipelineExecutionId } = await executions.call('StartPipelineExecution', { name });
      expect((await rejected(execution(name, '00000000-0000-0000-0000-000000000000'))).code).toBe(status.NOT_FOUND);
      expect((await rejected(execution(uniqueName('orch_else'), pipelineExecutionId))).code).toBe(status.NOT_FOUND);
    });
    it('an unknown pipeline variable is INVALID_ARGUMENT', async () => {
      const name = uniqueName('orch_vars');
      await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
      const error = await rejected(executions.call('StartPipelineExecution', { name, variables: [{ name: 'nope', value: '1' }] }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/nope/);
    });
    it('a transition of an unknown stage is NOT_FOUND', async () => {
      const name = uniqueName('orch_stage');
      await pipelines.call('CreatePipeline', { pipeline: declaration(name, { approval: false }) });
      const error = await rejected(executions.call('EnableStageTransition', { pipelineName: name, stageName: 'Deploy', transitionType: 'Inbound' }));
      expect(error.code).toBe(status.NOT_FOUND);
    });
  });

  /** An execution whose BuildA failed its first attempt, with the retry's backoff timer scheduled. */
  const retryScheduled = async (name: string, backoffSeconds: number) => {
    const pipeline = declaration(name, { approval: false, builds: ['BuildA'] });
    pipeline.stages[1].actions[0].retryPolicy = { maxAttempts: 2, backoffSeconds };
    await pipelines.call('CreatePipeline', { pipeline });
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    await runJob(name, 'Checkout');
    const first = await worker.job(name, 'BuildA');
    await worker.fail(first, 'flaky');
    await eventually('the retry scheduled in the log', async () => ((await executionEvents(store, id)).some((e) => e.type === 'ActionRetryScheduled') ? true : undefined));
    return { id, first };
  };

  it('a timer no commit of this instance announced (as another instance writes it) fires on the unannounced poll', async () => {
    const name = uniqueName('orch_elsewhere');
    const { id } = await retryScheduled(name, 2);

    // Taken away before it is due, so the wake-up its commit announced finds nothing, and written
    // back after that, as another instance's commit would write it: nothing tells this instance.
    const timers = `"${schema}".timers`;
    const [timer] = await store.query(
      `WITH taken AS (DELETE FROM ${timers} WHERE pipeline_execution_id = $1 AND payload->>'kind' = 'RetryBackoff' RETURNING *) SELECT * FROM taken`,
      [id],
    );
    expect(timer).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, new Date(timer.fire_at).getTime() + 1_000 - Date.now())));
    expect(worker.jobsOf(name, 'BuildA')).toHaveLength(1);
    await store.query(`INSERT INTO ${timers} (timer_id, pipeline_execution_id, fire_at, payload) VALUES ($1, $2, $3, $4)`, [
      timer.timer_id,
      timer.pipeline_execution_id,
      timer.fire_at,
      timer.payload,
    ]);
    await eventually('the second attempt of BuildA', () => (worker.jobsOf(name, 'BuildA').length === 2 ? true : undefined), 30_000);
    const second = worker.jobsOf(name, 'BuildA')[1];
    await worker.acknowledge(second);
    await worker.succeed(second);
    await reaches(name, id, 'Succeeded');
  });

  // Last: it restarts the orchestrator.
  it('a retryPolicy backoff timer survives a restart of the orchestrator and dispatches the next attempt', async () => {
    const name = uniqueName('orch_timer');
    const { id, first } = await retryScheduled(name, 5);

    expect(await orchestrator.stop()).toEqual({ code: 0, signal: null });
    orchestrator = startServiceProcess('orchestrator', orchestratorEnv);
    await waitUntilServing(orchestratorEnv.PIPEWRIGHT_ORCHESTRATOR_ADDRESS, orchestrator, 90_000);

    await eventually('the second attempt of BuildA', () => (worker.jobsOf(name, 'BuildA').length === 2 ? true : undefined));
    const second = worker.jobsOf(name, 'BuildA')[1];
    expect(second.jobId).not.toBe(first.jobId);
    await worker.acknowledge(second);
    await worker.succeed(second);
    await reaches(name, id, 'Succeeded');
  }, 180_000);

});
