/**
 * Metrics and DORA figures across the five service processes, each serving /metrics on its own
 * PIPEWRIGHT_METRICS_PORT: three executions of one pipeline (succeeded, failed, succeeded) move
 * the counters and histograms by exactly what happened, and GetDoraMetrics reports it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { dateFromTimestamp, executionV1, timestampFromDate } from '@pipewright/contracts';
import { openEventStore, ProjectionRunner } from '@pipewright/event-store';
import { GrpcClient, serviceDefaults, serviceEnvName, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { METRICS } from '@pipewright/telemetry';
import { eventually, freePort, hasSeries, rejected, Sample, scrape, TestRepo, testEnv, uniqueName, valueOf } from '@pipewright/testing';
import { DoraProjection } from '../services/orchestrator/src/metrics/dora.projection';
import { ACTION_TYPE, gitSourceStage } from './declarations';

jest.setTimeout(360_000);

const SERVICES = Object.keys(serviceDefaults) as ServiceName[];
const name = uniqueName('metrics').replace(/_/g, '-');
const schema = uniqueName('orchestrator_metrics');
const scratch = mkdtempSync(join(tmpdir(), 'pipewright-metrics-'));

function declaration(repository: string) {
  return {
    name,
    pipelineType: 'V2',
    variables: [{ name: 'outcome', defaultValue: 'ok' }],
    stages: [
      gitSourceStage(repository, { output: 'Src' }),
      { name: 'Build', actions: [{ name: 'Check', actionTypeId: ACTION_TYPE.shell, configuration: { Commands: 'test "#{variables.outcome}" = ok' }, inputArtifacts: [{ name: 'Src' }] }] },
    ],
  };
}

describe('metrics and DORA figures (five service processes, Kafka, PostgreSQL)', () => {
  const env = testEnv();
  const processes = new Map<ServiceName, ServiceProcess>();
  const metricsPorts = new Map<ServiceName, number>();
  const serviceEnv: NodeJS.ProcessEnv = {
    DATABASE_URL: env.databaseUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    PIPEWRIGHT_ORCHESTRATOR_SCHEMA: schema,
    PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: schema,
    PIPEWRIGHT_JOB_WORKER_PIPELINES: name,
    PIPEWRIGHT_JOB_WORKER_GROUP: uniqueName('metrics-worker'),
    PIPEWRIGHT_JOB_WORKER_SCHEMA: uniqueName('job_worker_metrics'),
    PIPEWRIGHT_WORKSPACE_ROOT: join(scratch, 'workspaces'),
    PIPEWRIGHT_JOB_LOG_ROOT: join(scratch, 'job-logs'),
    PIPEWRIGHT_ARTIFACT_ROOT: join(scratch, 'artifacts'),
    PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'true',
    PIPEWRIGHT_NOTIFICATION_SECRETS: JSON.stringify({ metrics: 'notification-secret-for-the-test' }),
    PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
    // Its own consumer group and rules: another suite's notification service must not take these events.
    PIPEWRIGHT_NOTIFICATION_GROUP_ID: uniqueName('metrics-notification'),
    PIPEWRIGHT_NOTIFICATION_SCHEMA: uniqueName('notification_metrics'),
    PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
    PIPEWRIGHT_METRICS_HOST: '127.0.0.1',
  };
  let receiver: Server;
  let delivered = 0;
  let repo: TestRepo;
  let pipelines: GrpcClient;
  let executions: GrpcClient;
  let artifacts: GrpcClient;

  const scrapeAll = async () => new Map(await Promise.all(SERVICES.map(async (s) => [s, await scrape(metricsPorts.get(s)!)] as const)));

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered++;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    for (const service of SERVICES) {
      const [grpc, http, metrics] = await Promise.all([freePort(), freePort(), freePort()]);
      serviceEnv[serviceEnvName(service, 'PORT')] = String(grpc);
      serviceEnv[serviceEnvName(service, 'HTTP_PORT')] = String(http);
      serviceEnv[serviceEnvName(service, 'ADDRESS')] = `127.0.0.1:${grpc}`;
      metricsPorts.set(service, metrics);
    }
    await Promise.all(
      SERVICES.map((service) => {
        // Each process gets its own metrics port, the way startServiceProcess callers set it.
        const proc = startServiceProcess(service, { ...serviceEnv, PIPEWRIGHT_METRICS_PORT: String(metricsPorts.get(service)) });
        processes.set(service, proc);
        return waitUntilServing(serviceEnv[serviceEnvName(service, 'ADDRESS')]!, proc, 240_000);
      }),
    );
    pipelines = new GrpcClient('PipelineService', serviceEnv[serviceEnvName('pipeline-definition', 'ADDRESS')]!);
    executions = new GrpcClient('ExecutionService', serviceEnv[serviceEnvName('orchestrator', 'ADDRESS')]!);
    artifacts = new GrpcClient('ArtifactService', serviceEnv[serviceEnvName('artifact', 'ADDRESS')]!);
    repo = TestRepo.create();
    repo.commit({ 'app.txt': 'metrics' }, 'The app');
    await pipelines.call('CreatePipeline', { pipeline: declaration(repo.dir) });
    const notifications = new GrpcClient('NotificationService', serviceEnv[serviceEnvName('notification', 'ADDRESS')]!);
    await notifications.call('CreateNotificationRule', {
      rule: {
        name,
        pipelines: [name],
        eventTypeIds: ['codepipeline-pipeline-pipeline-execution-started', 'codepipeline-pipeline-pipeline-execution-succeeded', 'codepipeline-pipeline-pipeline-execution-failed'],
        targets: [{ type: 'webhook', address: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secretRef: 'metrics' }],
        status: 'ENABLED',
        detailType: 'BASIC',
      },
    });
    notifications.close();
  }, 360_000);

  afterAll(async () => {
    for (const client of [pipelines, executions, artifacts]) client?.close();
    const exits = await Promise.all([...processes.values()].map((p) => p.stop()));
    await new Promise((resolve) => receiver?.close(resolve));
    repo?.remove();
    rmSync(scratch, { recursive: true, force: true });
    const failed = [...processes.values()].filter((_, i) => exits[i].code !== 0);
    for (const p of failed) console.log(`${p.name}:\n${p.lines.slice(-30).join('\n')}`);
    expect(exits.map((e) => e.code)).toEqual(SERVICES.map(() => 0));
  });

  const finished = (id: string, wanted: string) =>
    eventually(`execution ${id} ${wanted}`, async () => {
      const { pipelineExecution } = await executions.call<executionV1.GetPipelineExecutionResponse>('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id });
      return pipelineExecution?.status === wanted ? pipelineExecution : undefined;
    }, 180_000);
  const run = async (outcome: string, wanted: string) => {
    const { pipelineExecutionId } = await executions.call('StartPipelineExecution', { name, variables: [{ name: 'outcome', value: outcome }] });
    return finished(pipelineExecutionId, wanted);
  };

  it('serves /metrics from every service, moves each metric by what the executions did, and reports DORA figures', async () => {
    const before = await scrapeAll();
    for (const service of SERVICES) {
      expect(hasSeries(before.get(service)!, METRICS.outboxPending.name, { relay: service })).toBe(true);
      expect(hasSeries(before.get(service)!, METRICS.outboxOldestAge.name, { relay: service })).toBe(true);
    }
    expect(hasSeries(before.get('job-worker')!, METRICS.consumerLag.name, { group: serviceEnv.PIPEWRIGHT_JOB_WORKER_GROUP! })).toBe(true);

    const first = await run('ok', 'Succeeded');
    const second = await run('bad', 'Failed');
    const third = await run('ok', 'Succeeded');
    const ids = [first, second, third].map((e) => e!.pipelineExecutionId);

    const stored = await Promise.all(ids.map(async (id) => (await artifacts.call('ListArtifacts', { pipelineExecutionId: id, maxResults: 100 })).artifacts as { name: string; sizeBytes: string }[]));
    const bytesIn = stored.flat().reduce((sum, a) => sum + Number(a.sizeBytes), 0);
    // Each Build downloads its execution's source artifact once.
    const bytesOut = stored.map((list) => Number(list.find((a) => a.name === 'Src')!.sizeBytes)).reduce((a, b) => a + b, 0);
    expect(bytesIn).toBeGreaterThan(0);

    const delta = (after: Map<ServiceName, Sample[]>, service: ServiceName, metric: string, labels: Record<string, string> = {}) =>
      valueOf(after.get(service)!, metric, labels) - valueOf(before.get(service)!, metric, labels);
    const executionsTotal = `${METRICS.pipelineExecutions.name}_total`;
    const expected = {
      started: 3,
      succeeded: 2,
      failed: 1,
      sourceDurations: 3,
      buildDurations: 2,
      buildFailures: 1,
      dispatches: 6,
      gitRuns: 3,
      shellSucceeded: 2,
      shellFailed: 1,
      bytesIn,
      bytesOut,
      delivered: 6,
      attemptFailures: 0,
    };
    let lastSeen: typeof expected | undefined;
    // Counted from the log and by each service as it works: wait until the last of them is in.
    const after = await eventually('every metric to have moved', async () => {
      const now = await scrapeAll();
      const seen = (lastSeen = {
        started: delta(now, 'orchestrator', executionsTotal, { pipeline: name, status: 'Started' }),
        succeeded: delta(now, 'orchestrator', executionsTotal, { pipeline: name, status: 'Succeeded' }),
        failed: delta(now, 'orchestrator', executionsTotal, { pipeline: name, status: 'Failed' }),
        sourceDurations: delta(now, 'orchestrator', `${METRICS.actionDuration.name}_count`, { provider: 'Git', category: 'Source', status: 'Succeeded' }),
        buildDurations: delta(now, 'orchestrator', `${METRICS.actionDuration.name}_count`, { provider: 'Shell', category: 'Build', status: 'Succeeded' }),
        buildFailures: delta(now, 'orchestrator', `${METRICS.actionDuration.name}_count`, { provider: 'Shell', category: 'Build', status: 'Failed' }),
        dispatches: delta(now, 'orchestrator', `${METRICS.jobDispatchLatency.name}_count`),
        gitRuns: delta(now, 'job-worker', `${METRICS.jobRuns.name}_total`, { provider: 'Git', outcome: 'Succeeded' }),
        shellSucceeded: delta(now, 'job-worker', `${METRICS.jobRuns.name}_total`, { provider: 'Shell', outcome: 'Succeeded' }),
        shellFailed: delta(now, 'job-worker', `${METRICS.jobRuns.name}_total`, { provider: 'Shell', outcome: 'Failed' }),
        bytesIn: delta(now, 'artifact', `${METRICS.artifactBytes.name}_total`, { direction: 'in' }),
        bytesOut: delta(now, 'artifact', `${METRICS.artifactBytes.name}_total`, { direction: 'out' }),
        delivered: delta(now, 'notification', `${METRICS.notificationDeliveries.name}_total`, { target_type: 'webhook', outcome: 'delivered' }),
        attemptFailures: delta(now, 'notification', `${METRICS.notificationDeliveryAttemptFailures.name}_total`),
      });
      return JSON.stringify(seen) === JSON.stringify(expected) ? now : undefined;
    }, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}: expected ${JSON.stringify(expected)}, last seen ${JSON.stringify(lastSeen)}`);
    });
    expect(delivered).toBe(6);
    // Every dispatched job was acknowledged once: the latency histogram has one sample per job, by provider.
    expect(delta(after, 'orchestrator', `${METRICS.jobDispatchLatency.name}_count`, { provider: 'Git', category: 'Source' })).toBe(3);
    expect(delta(after, 'orchestrator', `${METRICS.jobDispatchLatency.name}_count`, { provider: 'Shell', category: 'Build' })).toBe(3);
    expect(delta(after, 'orchestrator', executionsTotal, { pipeline: name, status: 'Stopped' })).toBe(0);

    // DORA: two deployments, one failure restored by the third execution.
    const committed = Date.parse(execFileSync('git', ['log', '-1', '--format=%cI'], { cwd: repo.dir, encoding: 'utf8' }).trim());
    const { pipelineExecutionSummaries } = await executions.call<executionV1.ListPipelineExecutionsResponse>('ListPipelineExecutions', { pipelineName: name });
    const finishedAt = ids.map((id) => dateFromTimestamp(pipelineExecutionSummaries.find((s) => s.pipelineExecutionId === id)!.lastUpdateTime!).getTime());
    // The read model follows the log a moment behind the executions' own streams.
    const figures = await eventually('the DORA figures of the three executions', async () => {
      const answer = await executions.call<executionV1.GetDoraMetricsResponse>('GetDoraMetrics', { pipelineName: name });
      return answer.deploymentCount + answer.failedCount === 3 ? answer : undefined;
    });
    expect(figures).toMatchObject({ pipelineName: name, deploymentCount: 2, failedCount: 1, restoredCount: 1, unrestored: false });
    expect(figures.changeFailureRate).toBeCloseTo(1 / 3, 10);
    expect(figures.deploymentsPerDay).toBeCloseTo(2 / 30, 10);
    const leadTimes = [finishedAt[0], finishedAt[2]].map((t) => (t - committed) / 1000);
    expect(figures.leadTimeForChangesSeconds).toBeCloseTo((leadTimes[0] + leadTimes[1]) / 2, 2);
    expect(figures.timeToRestoreSeconds).toBeCloseTo((finishedAt[2] - finishedAt[1]) / 1000, 2);

    // The read model is a projection: dropped and rebuilt from the log, it holds the same rows.
    const store = await openEventStore({ url: env.databaseUrl, schema });
    try {
      const dora = new DoraProjection();
      await dora.createTable(store.query, schema);
      const far = new Date(Date.now() + 3600_000).toISOString();
      const rows = await dora.finishedBefore(store.query, name, far);
      expect(rows.map((r) => r.pipelineExecutionId).sort()).toEqual([...ids].sort());
      await new ProjectionRunner(store).rebuild(dora);
      expect(await dora.finishedBefore(store.query, name, far)).toEqual(rows);
    } finally {
      await store.close();
    }

    // A window that ends before the failure sees the first deployment alone.
    const early = await executions.call<executionV1.GetDoraMetricsResponse>('GetDoraMetrics', {
      pipelineName: name,
      startTime: timestampFromDate(new Date(finishedAt[0] - 3600_000)),
      endTime: timestampFromDate(new Date(finishedAt[0] + 1)),
    });
    expect(early).toMatchObject({ deploymentCount: 1, failedCount: 0, changeFailureRate: 0, restoredCount: 0, unrestored: false });
    expect(early.deploymentsPerDay).toBeCloseTo(86_400_000 / (3600_000 + 1), 6);
  });

  it('rejects a DORA request without a pipeline, with a window ending before it starts, or for an unknown pipeline', async () => {
    const missing = await rejected(executions.call('GetDoraMetrics', {}));
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.details).toMatch(/pipeline_name/);
    const now = Date.now();
    const backwards = await rejected(executions.call('GetDoraMetrics', { pipelineName: name, startTime: timestampFromDate(new Date(now)), endTime: timestampFromDate(new Date(now - 1000)) }));
    expect(backwards.code).toBe(status.INVALID_ARGUMENT);
    expect(backwards.details).toMatch(/start_time/);
    const unknown = await rejected(executions.call('GetDoraMetrics', { pipelineName: uniqueName('no-such-pipeline') }));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });
});
