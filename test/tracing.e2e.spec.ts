/**
 * One execution, one trace, across five service processes: the services export over OTLP/gRPC to a
 * collector inside this test (OtlpReceiver). A signed push webhook starts the trace; it continues
 * through the execution request on Kafka, the orchestrator, every job request, the job-worker's jobs
 * and artifact transfers, the job events, the execution events and the notification delivery. A
 * manual approval, given by a call that starts its own trace, is decided in the execution's trace
 * with a link to that call, and the job it releases stays in the execution's trace too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@pipewright/messaging';
import { GrpcClient } from '@pipewright/service-kit';
import { eventually, pushHeaders, TestRepo, uniqueName } from '@pipewright/testing';
import { OtlpReceiver, ReceivedSpan, SpanKinds } from './otlp-receiver';
import { Platform, SERVICES } from './platform';
import { gitSourceStage } from './declarations';

jest.setTimeout(300_000);

const name = uniqueName('traced').replace(/_/g, '-');
const webhookSecret = 'push-secret-for-the-trace';
const scratch = mkdtempSync(join(tmpdir(), 'pipewright-tracing-'));

function declaration(repository: string) {
  return {
    pipeline: {
      name,
      pipelineType: 'V2',
      triggers: [{ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Checkout', push: [{ branches: { includes: ['main'] } }] } }],
      stages: [
        gitSourceStage(repository),
        { name: 'Approval', actions: [{ name: 'Go', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } }] },
        {
          name: 'Build',
          actions: [
            {
              name: 'Compile',
              actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' },
              configuration: { Commands: 'mkdir -p dist\ncp app.txt dist/app.txt' },
              inputArtifacts: [{ name: 'SourceArtifact' }],
              outputArtifacts: [{ name: 'BuildArtifact', files: ['dist/**/*'] }],
            },
          ],
        },
      ],
    },
  };
}

describe('tracing one execution across the five services', () => {
  let collector: OtlpReceiver;
  let platform: Platform;
  let hooks: Server;
  const delivered: string[] = [];
  let repo: TestRepo;
  let executions: GrpcClient;

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    hooks = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered.push(req.url ?? '');
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    platform = await Platform.create('tracing', {
      scratch,
      pipelines: [name],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    await platform.start();
    executions = new GrpcClient('ExecutionService', platform.address('orchestrator'));

    repo = TestRepo.create();
    repo.commit({ 'app.txt': 'traced-app' }, 'The app');
    const pipelines = new GrpcClient('PipelineService', platform.address('pipeline-definition'));
    await pipelines.call('CreatePipeline', { pipelineDocument: JSON.stringify(declaration(repo.dir)) });
    await pipelines.call('PutWebhook', {
      webhook: { name, targetPipeline: name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC', authenticationConfiguration: { secretToken: webhookSecret }, filters: [] },
    });
    pipelines.close();
    const notifications = new GrpcClient('NotificationService', platform.address('notification'));
    await notifications.call('CreateNotificationRule', {
      rule: {
        name,
        pipelines: [name],
        eventTypeIds: ['codepipeline-pipeline-pipeline-execution-succeeded'],
        targets: [{ type: 'webhook', address: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook` }],
        status: 'ENABLED',
        detailType: 'BASIC',
      },
    });
    notifications.close();
  }, 300_000);

  afterAll(async () => {
    executions?.close();
    await platform?.stop();
    await collector?.stop();
    hooks?.close();
    repo?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('puts every step of an execution in one trace rooted at its trigger', async () => {
    // given a pushed commit, announced by the signed webhook
    const before = repo.head();
    const commit = repo.commit({ 'app.txt': 'traced-app v2' }, 'A change to trace');
    const body = JSON.stringify(repo.pushPayload('GitHub', 'refs/heads/main', before, commit));
    const hook = await fetch(`http://127.0.0.1:${platform.httpPort('pipeline-definition')}/webhooks/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...pushHeaders('GitHub', body, webhookSecret) },
      body,
    });
    expect(hook.status).toBe(202);

    // when the execution runs, is approved by a call from outside any trace, and finishes
    const id = await eventually('the execution of the pushed commit', async () => {
      const { pipelineExecutionSummaries } = await executions.call('ListPipelineExecutions', { pipelineName: name, maxResults: 10 });
      return pipelineExecutionSummaries.find((e: any) => e.sourceRevisions?.some((r: any) => r.revisionId === commit))?.pipelineExecutionId as string | undefined;
    }, 120_000);
    const token = await eventually('the pending approval', async () => {
      const state = await executions.call('GetPipelineState', { name });
      const latest = state.stageStates.find((s: any) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution;
      return latest?.token as string | undefined;
    }, 180_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${platform.logs()}`);
    });
    await executions.call('PutApprovalResult', { pipelineName: name, stageName: 'Approval', actionName: 'Go', token, result: { status: 'Approved', summary: 'traced' } });
    await eventually('the execution to succeed', async () => {
      const { pipelineExecution } = await executions.call('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id });
      if (['Failed', 'Stopped'].includes(pipelineExecution.status)) throw new Error(`execution ${pipelineExecution.status}\n${platform.logs()}`);
      return pipelineExecution.status === 'Succeeded' ? true : undefined;
    }, 180_000);
    await eventually('the notification delivery', () => delivered.length > 0, 60_000);

    // then its spans, once exported, form one trace with every step in it
    const spans = await eventually(
      'the whole trace at the collector',
      () => {
        const trace = traceOf(collector.spans, id);
        if (!trace) return undefined;
        const has = (service: string, match: (s: ReceivedSpan) => boolean) => trace.some((s) => s.service === service && match(s));
        const complete =
          SERVICES.every((service) => has(service, () => true)) &&
          has('notification', (s) => s.name.startsWith('notification deliver')) &&
          has('job-worker', (s) => s.name.startsWith('job Build/')) &&
          has('artifact', (s) => s.attributes['rpc.method'] === 'DownloadArtifact' && s.kind === SpanKinds.SERVER) &&
          has('orchestrator', (s) => s.name === 'execution CompleteJob' && s.attributes['pipewright.pipeline'] === name) &&
          trace.filter((s) => s.name === 'execution CompleteJob').length >= 2;
        return complete ? trace : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      const seen = traceOf(collector.spans, id) ?? [];
      throw new Error(`${error.message}; spans in the trace so far:\n${seen.map((s) => `${s.service} ${s.name}`).join('\n')}`);
    });
    const traceId = spans[0].traceId;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);
    const ancestors = (span: ReceivedSpan) => {
      const chain: ReceivedSpan[] = [];
      for (let at = parentOf(span); at; at = parentOf(at)) chain.push(at);
      return chain;
    };

    // Every span that names this execution is in this one trace, from every service.
    expect(new Set(collector.spans.filter((s) => s.attributes['pipewright.execution.id'] === id).map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(SERVICES));

    // Its root is the trigger: the webhook request pipeline-definition received.
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => [s.service, s.kind])).toEqual([['pipeline-definition', SpanKinds.SERVER]]);
    expect(JSON.stringify(roots[0].attributes)).toContain(`/webhooks/${name}`);

    // Kafka: each consumer span is a child of the producer span of the message it handles (the
    // convention this project follows: child, not link), on each of the four topics the execution crosses.
    const kafka = (s: ReceivedSpan) => s.attributes['messaging.system'] === 'kafka';
    const consumers = spans.filter((s) => kafka(s) && s.kind === SpanKinds.CONSUMER);
    for (const consumer of consumers) {
      const producer = parentOf(consumer);
      expect(producer && [producer.kind, producer.attributes['messaging.destination.name']]).toEqual([SpanKinds.PRODUCER, consumer.attributes['messaging.destination.name']]);
    }
    const crossing = (topic: string) => consumers.filter((c) => c.attributes['messaging.destination.name'] === topic).map((c) => `${parentOf(c)!.service}→${c.service}`);
    expect(crossing(Topics.ExecutionRequests)).toContain('pipeline-definition→orchestrator');
    expect(crossing(Topics.JobRequests)).toContain('orchestrator→job-worker');
    // Job events are consumed in batches: kafkajs's batch spans are a trace of their own, linked to
    // each message's producer span, and each report is decided as a child of its producer span.
    const completions = spans.filter((s) => s.name === 'execution CompleteJob');
    for (const completion of completions) {
      const report = parentOf(completion)!;
      expect(report).toMatchObject({ service: 'job-worker', kind: SpanKinds.PRODUCER, attributes: { 'messaging.destination.name': Topics.JobEvents } });
      const batch = collector.spans.find((s) => s.kind === SpanKinds.CONSUMER && s.links.some((link) => link.spanId === report.spanId));
      expect(batch).toMatchObject({ service: 'orchestrator', attributes: { 'messaging.destination.name': Topics.JobEvents } });
    }
    expect(crossing(Topics.ExecutionEvents)).toContain('orchestrator→notification');

    // The execution starts in the orchestrator, under the execution request it consumed.
    const start = spans.find((s) => s.name === 'execution StartPipelineExecution')!;
    expect(start).toMatchObject({ service: 'orchestrator', attributes: { 'pipewright.execution.id': id, 'pipewright.pipeline': name } });
    expect(parentOf(start)).toMatchObject({ kind: SpanKinds.CONSUMER, attributes: { 'messaging.destination.name': Topics.ExecutionRequests } });

    // Each job is a span in the job-worker with the execution, stage, action and job id, under its job request.
    const jobs = spans.filter((s) => s.service === 'job-worker' && s.name.startsWith('job '));
    expect(jobs.map((j) => [j.attributes['pipewright.stage'], j.attributes['pipewright.action']]).sort()).toEqual([
      ['Build', 'Compile'],
      ['Source', 'Checkout'],
    ]);
    for (const job of jobs) {
      expect(job.attributes).toMatchObject({ 'pipewright.execution.id': id, 'pipewright.pipeline': name, 'pipewright.job.id': expect.any(String) });
      expect(parentOf(job)).toMatchObject({ kind: SpanKinds.CONSUMER, attributes: { 'messaging.destination.name': Topics.JobRequests } });
    }

    // Artifacts: the worker's transfer spans hold the gRPC client calls the artifact service serves.
    for (const [method, transfer] of [
      ['UploadArtifact', 'artifact upload'],
      ['DownloadArtifact', 'artifact download'],
    ]) {
      const server = spans.find((s) => s.service === 'artifact' && s.kind === SpanKinds.SERVER && s.attributes['rpc.method'] === method)!;
      expect(server.attributes['rpc.system']).toBe('grpc');
      const client = parentOf(server)!;
      expect(client).toMatchObject({ service: 'job-worker', kind: SpanKinds.CLIENT, attributes: { 'rpc.method': method } });
      expect(ancestors(client).map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${transfer} `)), expect.stringMatching(/^job /)]));
    }

    // The approval came in its own trace; it was decided in the execution's, linked to that call,
    // and the Build job it released was requested from there.
    const approval = spans.find((s) => s.name === 'execution PutApprovalResult')!;
    expect(parentOf(approval)).toBe(start);
    expect(approval.links).toHaveLength(1);
    const call = collector.spans.find((s) => s.spanId === approval.links[0].spanId);
    expect(call).toMatchObject({ service: 'orchestrator', kind: SpanKinds.SERVER, attributes: { 'rpc.method': 'PutApprovalResult' } });
    expect(call!.traceId).not.toBe(traceId);
    const build = jobs.find((j) => j.attributes['pipewright.stage'] === 'Build')!;
    expect(ancestors(build)).toContain(approval);
    expect(ancestors(build).filter((s) => s.links.length > 0)).toEqual([approval]);

    // The notification delivery continues from the execution event that caused it.
    const delivery = spans.find((s) => s.name.startsWith('notification deliver'))!;
    expect(delivery.attributes).toMatchObject({ 'pipewright.execution.id': id, 'pipewright.pipeline': name });
    expect(parentOf(delivery)).toMatchObject({ service: 'notification', kind: SpanKinds.CONSUMER, attributes: { 'messaging.destination.name': Topics.ExecutionEvents } });

    // gRPC, Kafka and PostgreSQL spans are all there.
    expect(spans.some((s) => s.attributes['rpc.system'] === 'grpc')).toBe(true);
    expect(spans.some((s) => kafka(s) && s.kind === SpanKinds.PRODUCER)).toBe(true);
    expect(spans.some((s) => kafka(s) && s.kind === SpanKinds.CONSUMER)).toBe(true);
    const postgres = spans.filter((s) => (s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'postgresql');
    expect(postgres.map((s) => s.service)).toContain('orchestrator');
  });
});

/** The spans of the trace an execution's spans are in, when they are all in one. */
function traceOf(spans: readonly ReceivedSpan[], executionId: string): ReceivedSpan[] | undefined {
  const ids = new Set(spans.filter((s) => s.attributes['pipewright.execution.id'] === executionId).map((s) => s.traceId));
  if (ids.size !== 1) return undefined;
  const [traceId] = ids;
  return spans.filter((s) => s.traceId === traceId);
}
