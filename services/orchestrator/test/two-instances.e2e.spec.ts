import { Client } from 'pg';
import { pipelineV1 } from '@pipewright/contracts';
import { EventStore, openEventStore } from '@pipewright/event-store';
import { ServiceProcess } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { expectOneHistoryEach, LogAudit } from './crash-log';
import { noOpPipeline, Orchestration } from './crash-services';
import { CompletingWorker } from './crash-worker';
import { eventually } from './support';

const PIPELINES = 3;
const EXECUTIONS = 12;

jest.setTimeout(300_000);

/**
 * Two orchestrators on one log, each in consumer groups of its own: both decide every execution
 * request and every job report, each from its own fold cache, which the other's appends make stale.
 * Optimistic concurrency must leave one history per execution, as if one orchestrator had run it.
 */
describe('two orchestrator instances deciding the same executions (real processes)', () => {
  const env = testEnv();
  const schema = uniqueName('orchestrator_two');
  const orchestration = new Orchestration(schema, env);
  const names = Array.from({ length: PIPELINES }, (_, i) => uniqueName(`orch_two_${i}`));
  const worker = new CompletingWorker(env.kafkaBrokers, uniqueName('orchestrator-two-worker'), { accepts: (n) => names.includes(n), delayMs: () => Math.random() * 300 });
  const client = new Client({ connectionString: env.databaseUrl });
  const audit = new LogAudit(client, schema);
  let other: ServiceProcess;
  let store: EventStore;

  beforeAll(async () => {
    await orchestration.start();
    other = await orchestration.startAnotherOrchestrator(`${schema}_other`);
    await Promise.all([worker.start(), client.connect()]);
    store = await openEventStore({ url: env.databaseUrl, schema });
  }, 180_000);

  afterAll(async () => {
    await worker.stop();
    await store?.close();
    await client.end();
    const exits = await Promise.all([other?.stop(), ...(await orchestration.stop())]);
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }, { code: 0, signal: null }]);
  });

  it('every execution succeeds once with gap-free streams, each job dispatched and succeeded once, the served view the fold', async () => {
    const declarations = new Map<string, pipelineV1.PipelineDeclaration>();
    for (const name of names) declarations.set(name, await orchestration.createPipeline(noOpPipeline(name, [[2, 1], [1, 1]])));
    const requests = Array.from({ length: EXECUTIONS }, (_, i) => ({ pipelineName: names[i % PIPELINES], requestId: `request-${i}` }));
    for (const { pipelineName, requestId } of requests) await worker.requestExecution(pipelineName, declarations.get(pipelineName)!, requestId);

    const listed = await eventually(
      `all ${EXECUTIONS} executions Succeeded`,
      async () => {
        const summaries = (await Promise.all(names.map(async (pipelineName) => (await orchestration.executions.call('ListPipelineExecutions', { pipelineName })).pipelineExecutionSummaries.map((s: any) => ({ ...s, pipelineName }))))).flat();
        return summaries.length >= EXECUTIONS && summaries.every((s: any) => s.status === 'Succeeded') ? summaries : undefined;
      },
      180_000,
    );
    // Both instances took each request: still one execution per request.
    expect(listed.map((s: any) => s.trigger.triggerDetail).sort()).toEqual(requests.map((r) => r.requestId).sort());
    // Source + 5 NoOps each: one terminal success, gap-free streams, each job dispatched and succeeded once, the served view the fold.
    await expectOneHistoryEach(audit, orchestration, store, listed, 6, [...worker.deliveries.keys()]);
    const streams = listed.map((s: any) => `execution-${s.pipelineExecutionId}`);

    // Each instance decided every job report (its inbox mark commits only with its decision), each
    // on a fold the other's appends had made stale: the histories above are what the conflicts left.
    // (The slower instance may still be deciding the last reports when the executions have succeeded.)
    const reports = listed.length * 6 * 2;
    const perInstance = await eventually('both instances decided every job report', async () => {
      const { rows } = await client.query<{ consumer: string; reports: string }>(
        `SELECT consumer, count(*) AS reports FROM "${schema}".inbox WHERE consumer LIKE '%job-events%' GROUP BY consumer ORDER BY consumer`,
      );
      const counts = rows.map((r) => Number(r.reports));
      return counts.length === 2 && counts.every((n) => n >= reports) ? counts : undefined;
    });
    expect(perInstance).toEqual([reports, reports]);
    // Nothing either of them decided late changed a history.
    expect((await audit.successesPerAttempt(streams)).filter((s) => s.count !== 1)).toEqual([]);
  });
});
