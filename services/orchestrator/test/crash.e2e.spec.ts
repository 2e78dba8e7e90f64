import { join } from 'node:path';
import { Client } from 'pg';
import { pipelineV1 } from '@pipewright/contracts';
import { EventStore, openEventStore } from '@pipewright/event-store';
import { testEnv, uniqueName } from '@pipewright/testing';
import { expectOneHistoryEach, LogAudit } from './crash-log';
import { noOpPipeline, Orchestration } from './crash-services';
import { CompletingWorker } from './crash-worker';
import { eventually } from './support';

const PIPELINES = 5;
const KILLS = 10;
const REQUESTS_PER_KILL = 5; // 50 executions in all
const random = (min: number, max: number) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

jest.setTimeout(300_000);

/**
 * Recovery: executions are requested over Kafka while the orchestrator is SIGKILLed at random
 * moments and started again on the same schema and groups. Whatever a kill interrupts — a
 * transaction, an outbox relay, a consumer offset — must come out as if nothing had happened.
 */
describe('orchestrator crash recovery (real processes, SIGKILL)', () => {
  const env = testEnv();
  const schema = uniqueName('orchestrator_crash');
  const preload = join(__dirname, 'crash-kafka-session.ts');
  const orchestration = new Orchestration(schema, env, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r @pipewright/ts-register -r ${preload}`.trim() });
  const names = Array.from({ length: PIPELINES }, (_, i) => uniqueName(`orch_crash_${i}`));
  const worker = new CompletingWorker(env.kafkaBrokers, uniqueName('orchestrator-crash-worker'), { accepts: (n) => names.includes(n), delayMs: () => random(200, 2_000) });
  const client = new Client({ connectionString: env.databaseUrl });
  const audit = new LogAudit(client, schema);
  let store: EventStore;

  beforeAll(async () => {
    await orchestration.start();
    await Promise.all([worker.start(), client.connect()]);
    store = await openEventStore({ url: env.databaseUrl, schema });
  }, 120_000);

  afterAll(async () => {
    await worker.stop();
    await store?.close();
    await client.end();
    const exits = await orchestration.stop();
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  it('50 PARALLEL executions survive 10 SIGKILLs: each succeeds once, streams are gap-free, each job succeeds once, the served view is the fold', async () => {
    const declarations = new Map<string, pipelineV1.PipelineDeclaration>();
    for (const name of names) declarations.set(name, await orchestration.createPipeline(noOpPipeline(name, [[2, 1], [2]])));

    const requests: { pipelineName: string; requestId: string }[] = [];
    const inFlightAtKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      for (let r = 0; r < REQUESTS_PER_KILL; r++) {
        const pipelineName = names[requests.length % PIPELINES];
        const requestId = `request-${requests.length}`;
        await worker.requestExecution(pipelineName, declarations.get(pipelineName)!, requestId);
        requests.push({ pipelineName, requestId });
      }
      await sleep(random(1_000, 4_000));
      inFlightAtKill.push(await audit.executionsInProgress(names));
      expect(await orchestration.restartOrchestrator('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    }
    // The kills interrupted real work, not an idle process.
    expect(inFlightAtKill.some((n) => n > 0)).toBe(true);

    // Every request started exactly one execution, and every one of them succeeded.
    const listed = await eventually(
      'all 50 executions Succeeded',
      async () => {
        const summaries = (await Promise.all(names.map(async (pipelineName) => (await orchestration.executions.call('ListPipelineExecutions', { pipelineName })).pipelineExecutionSummaries.map((s: any) => ({ ...s, pipelineName }))))).flat();
        return summaries.length >= requests.length && summaries.every((s: any) => s.status === 'Succeeded') ? summaries : undefined;
      },
      150_000,
    );
    expect(listed.map((s: any) => s.trigger.triggerDetail).sort()).toEqual(requests.map((r) => r.requestId).sort());
    // One terminal success each, gap-free streams, each job succeeded once, the served view the fold.
    await expectOneHistoryEach(audit, orchestration, store, listed, 6, [...worker.deliveries.keys()]);
    const redelivered = [...worker.deliveries.values()].filter((n) => n > 1).length;
    console.log(`crash test: executions in progress at each kill ${JSON.stringify(inFlightAtKill)}; ${redelivered} of ${worker.deliveries.size} job requests delivered more than once`);
  });
});
