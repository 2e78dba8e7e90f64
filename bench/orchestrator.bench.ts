/**
 * Orchestrator benchmark (not a test): real pipeline-definition and orchestrator processes, a worker
 * in this process that succeeds NoOp jobs at once. Measures per-action orchestration overhead,
 * sustained action throughput with executions in parallel, and the replay (fold) of a 1,000-event
 * execution, against the floors measured in the same run.
 * Run: node -r @pipewright/ts-register bench/orchestrator.bench.ts (DATABASE_URL / KAFKA_BROKERS when set).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { jobV1 } from '@pipewright/contracts';
import { fold } from '@pipewright/decider';
import { EventStore, openEventStore } from '@pipewright/event-store';
import { executionDecider } from '@pipewright/execution-domain';
import { executionEvents, loadExecution } from '../services/orchestrator/src/executions/streams';
import { noOpPipeline, Orchestration } from '../services/orchestrator/test/crash-services';
import { CompletingWorker } from '../services/orchestrator/test/crash-worker';
import { cpuSeconds, machineBusySeconds } from './lib/cpu';
import { ENGINE_TIMING_PREFIX, EngineTiming } from './lib/engine-timing';
import { STATEMENT_COUNT_PREFIX } from './lib/statement-count';
import { insertCommitRate, kafkaRoundTrips } from './lib/floors';
import { benchEnv, benchKafka, benchName } from './lib/infra';
import { printTable, writeResults, type BenchRow } from './lib/report';
import { latencySummary, percentile, round } from './lib/stats';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 10);
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 20_000);
/**
 * Executions kept in flight, one throughput run per level. At 8 each execution's one running action
 * makes the run latency-bound (8 / cycle time); the largest level loads the machine, and the
 * throughput target is judged there.
 */
const IN_FLIGHT_LEVELS = (process.env.BENCH_IN_FLIGHT ?? '8,32').split(',').map(Number);
const MAX_IN_FLIGHT = Math.max(...IN_FLIGHT_LEVELS);
const HEARTBEATS_PER_JOB = 44; // 21 jobs: about 1,000 events in the replayed stream
const SERIAL = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]; // 20 NoOps one after another
const LAST_ACTION = 'S4R5A1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epochMs = () => performance.timeOrigin + performance.now();

/** The processes sharing the machine during a throughput window, by what they are. */
function processGroups(orchestration: Orchestration): Record<string, number[]> {
  const groups: Record<string, number[]> = { orchestrator: [orchestration.orchestrator.child.pid!], 'pipeline-definition': [orchestration.definition.child.pid!], 'benchmark + worker': [process.pid], kafka: [], postgres: [] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'postgres') groups.postgres.push(Number(entry));
      else if (comm === 'java' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('kafka')) groups.kafka.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return groups;
}

const groupCpu = (groups: Record<string, number[]>) =>
  Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + (existsSync(`/proc/${pid}/stat`) ? cpuSeconds(pid) : 0), 0)]));

/** The orchestrator's statement counts so far (the statement-count preload answers SIGUSR2). */
async function statementCounts(orchestration: Orchestration): Promise<Record<string, number>> {
  const lines = orchestration.orchestrator.lines;
  const seen = lines.length;
  orchestration.orchestrator.child.kill('SIGUSR2');
  for (let waited = 0; waited < 5_000; waited += 10) {
    const line = lines.slice(seen).find((l) => l.startsWith(STATEMENT_COUNT_PREFIX));
    if (line) return JSON.parse(line).benchStatements as Record<string, number>;
    await sleep(10);
  }
  throw new Error('the orchestrator did not report its statement counts');
}

interface JobTimes {
  executionId: string;
  pipelineName: string;
  stageName: string;
  actionName: string;
  requestedAt: number;
  succeedingAt?: number;
}

/** What the worker saw, per execution, and who waits for an execution's last action. */
class Observations {
  readonly jobs = new Map<string, JobTimes>();
  private readonly lastActionDone = new Map<string, () => void>();
  onLastAction?: (job: JobTimes) => void;

  requested(job: jobV1.JobRequested, at: number): void {
    const c = job.data!.pipelineContext!;
    this.jobs.set(job.jobId, { executionId: c.pipelineExecutionId, pipelineName: c.pipelineName, stageName: c.stage!.name, actionName: c.action!.name, requestedAt: at });
  }

  succeeding(job: jobV1.JobRequested, at: number): void {
    const times = this.jobs.get(job.jobId)!;
    times.succeedingAt = at;
    if (times.actionName !== LAST_ACTION) return;
    this.lastActionDone.get(times.executionId)?.();
    this.onLastAction?.(times);
  }

  lastActionOf(executionId: string): Promise<void> {
    return new Promise((resolve) => this.lastActionDone.set(executionId, resolve));
  }

  of(executionId: string): JobTimes[] {
    return [...this.jobs.values()].filter((j) => j.executionId === executionId).sort((a, b) => a.requestedAt - b.requestedAt);
  }
}

/** Job N's success produced → job N+1's request received, with where the time went when the engine logged it. */
function overheads(jobs: JobTimes[], engine: EngineTiming[]) {
  const samples: { totalMs: number; crossesStage: boolean; toEngineMs?: number; engineMs?: number; fromEngineMs?: number; loadMs?: number; appendMs?: number; attempts?: number }[] = [];
  for (let i = 0; i + 1 < jobs.length; i++) {
    const done = jobs[i].succeedingAt!;
    const next = jobs[i + 1].requestedAt;
    const run = engine.find((e) => e.start >= done && e.executions.includes(jobs[i].executionId) && e.types.includes('ActionExecutionSucceeded') && e.types.includes('ActionExecutionStarted'));
    samples.push({
      totalMs: next - done,
      crossesStage: jobs[i].stageName !== jobs[i + 1].stageName,
      ...(run && run.end <= next
        ? { toEngineMs: run.start - done, engineMs: run.end - run.start, fromEngineMs: next - run.end, loadMs: run.loadMs, appendMs: run.appendMs, attempts: run.attempts }
        : {}),
    });
  }
  return samples;
}

async function runExecution(orchestration: Orchestration, observations: Observations, name: string): Promise<string> {
  const { pipelineExecutionId: id } = await orchestration.executions.call('StartPipelineExecution', { name });
  await observations.lastActionOf(id);
  while ((await orchestration.getExecution(name, id)).status !== 'Succeeded') await sleep(5);
  return id;
}

/** `inFlight` executions spread round-robin over `pipelines`, each replaced when its last action succeeds. */
async function sustained(orchestration: Orchestration, observations: Observations, store: EventStore, pipelines: string[], inFlight: number, engineRuns: () => EngineTiming[]) {
  let measuring = true;
  const started: Promise<string>[] = [];
  const start = (name: string) => started.push(runExecution(orchestration, observations, name));
  observations.onLastAction = (job) => {
    if (pipelines.includes(job.pipelineName) && measuring) start(job.pipelineName);
  };
  for (let i = 0; i < inFlight; i++) start(pipelines[i % pipelines.length]);
  await sleep(3_000);
  const pid = orchestration.orchestrator.child.pid!;
  const cpuBefore = cpuSeconds(pid);
  // Postgres backends that live through the window are counted; ones started inside it are not (few: pools are warm).
  const groups = processGroups(orchestration);
  const groupsBefore = groupCpu(groups);
  const statementsBefore = await statementCounts(orchestration);
  const machineBefore = machineBusySeconds();
  const windowStart = epochMs();
  await sleep(THROUGHPUT_MS);
  const windowEnd = epochMs();
  const orchestratorCpu = round((cpuSeconds(pid) - cpuBefore) / ((windowEnd - windowStart) / 1000));
  const windowSeconds = (windowEnd - windowStart) / 1000;
  const groupsAfter = groupCpu(groups);
  const statementsAfter = await statementCounts(orchestration);
  /** Cores each group used in the window, and the machine's busy cores (of the 2). */
  const cpu = {
    ...Object.fromEntries(Object.keys(groups).map((name) => [name, round((groupsAfter[name] - groupsBefore[name]) / windowSeconds)])),
    machine: round((machineBusySeconds() - machineBefore) / windowSeconds),
  };
  measuring = false;
  await Promise.all(started);
  observations.onLastAction = undefined;
  const inWindow = (t?: number) => t !== undefined && t >= windowStart && t < windowEnd;
  const jobs = [...observations.jobs.values()].filter((j) => pipelines.includes(j.pipelineName));
  const seconds = (windowEnd - windowStart) / 1000;
  const [{ count: events }] = await store.query<{ count: string }>(`SELECT count(*) AS count FROM "${store.schema}".events WHERE recorded_at >= $1 AND recorded_at < $2`, [new Date(windowStart), new Date(windowEnd)]);
  const engine = engineRuns().filter((e) => inWindow(e.start));
  const ids = [...new Set(jobs.filter((j) => inWindow(j.requestedAt)).map((j) => j.executionId))];
  return {
    seconds: round(seconds, 1),
    /** Cores the orchestrator process used in the window (1 = one core all the time). */
    orchestratorCpu,
    cpu,
    /** The orchestrator's SQL statements in the window, per completed action, most frequent first. */
    statementsPerAction: Object.entries(statementsAfter)
      .map(([text, n]) => [text, round((n - (statementsBefore[text] ?? 0)) / Math.max(1, jobs.filter((j) => inWindow(j.succeedingAt)).length), 2)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]),
    completed: jobs.filter((j) => inWindow(j.succeedingAt)).length,
    perSecond: round(jobs.filter((j) => inWindow(j.succeedingAt)).length / seconds, 1),
    eventsPerSecond: round(Number(events) / seconds, 1),
    overhead: latencySummary(ids.flatMap((id) => overheads(observations.of(id), engine)).map((s) => s.totalMs)),
    engine: {
      transactionsPerSecond: round(engine.length / seconds, 1),
      conflictRetries: engine.reduce((n, e) => n + Math.max(0, e.attempts - 1), 0),
      transaction: latencySummary(engine.map((e) => e.end - e.start)),
    },
  };
}

type Sustained = Awaited<ReturnType<typeof sustained>>;

const p = (values: number[], q: number) => round(percentile(values, q));
const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);

async function main(): Promise<void> {
  const env = benchEnv();
  const schema = benchName('bench_orch');
  const preload = join(__dirname, 'lib/engine-timing.ts');
  const statementCount = join(__dirname, 'lib/statement-count.ts');
  // BENCH_CPU_PROF=<dir>: the orchestrator also writes a V8 CPU profile there when it exits.
  const cpuProf = process.env.BENCH_CPU_PROF ? ` --cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` : '';
  const orchestration = new Orchestration(schema, env, { NODE_OPTIONS: `-r @pipewright/ts-register -r ${preload} -r ${statementCount}${cpuProf}`, BENCH_ENGINE_TIMING: '1', BENCH_STATEMENT_COUNT: '1' });
  const names = { serial: benchName('bench_serial'), parallel: benchName('bench_parallel'), long: benchName('bench_long'), spread: Array.from({ length: MAX_IN_FLIGHT }, (_, i) => benchName(`bench_spread${i}`)) };
  const ours = new Set(Object.values(names).flat());
  const observations = new Observations();
  const worker = new CompletingWorker(env.kafkaBrokers, benchName('bench-orch-worker'), {
    accepts: (name) => ours.has(name),
    heartbeats: (job) => (job.data?.pipelineContext?.pipelineName === names.long ? HEARTBEATS_PER_JOB : 0),
    onRequested: (job, at) => observations.requested(job, at),
    onSucceeding: (job, at) => observations.succeeding(job, at),
  });
  let store: EventStore | undefined;
  const load: Record<string, number[]> = { start: loadavg() };
  try {
    await orchestration.start();
    await worker.start();
    store = await openEventStore({ url: env.databaseUrl, schema });
    for (const name of ours) await orchestration.createPipeline(noOpPipeline(name, SERIAL));
    const engineRuns = () => orchestration.orchestrator.lines.filter((l) => l.startsWith(ENGINE_TIMING_PREFIX)).map((l) => JSON.parse(l).benchEngine as EngineTiming);

    const runOne = (name: string) => runExecution(orchestration, observations, name);

    // Floors first, on the quiet machine the orchestrator then runs on.
    process.stdout.write('floors…\n');
    const insertFloor = await insertCommitRate(env.databaseUrl, schema, 5_000);
    const kafkaFloor = latencySummary(await kafkaRoundTrips(benchKafka('orchestrator-bench'), 200));

    // 1. Overhead: one execution at a time, 20 serial NoOps after the Source action.
    process.stdout.write('serial executions…\n');
    await runOne(names.serial); // warm-up
    const serialIds: string[] = [];
    for (let i = 0; i < REPEATS; i++) serialIds.push(await runOne(names.serial));
    const engine = engineRuns();
    const serialSamples = serialIds.flatMap((id) => overheads(observations.of(id), engine));
    const totals = serialSamples.map((s) => s.totalMs);
    load.afterSerial = loadavg();

    // 2. Throughput: N executions at all times, PARALLEL mode, a finished one replaced at once; all
    // of one pipeline (one Kafka partition, as job events are keyed by pipeline), then one per pipeline.
    const throughput: { inFlight: number; onePipeline: Sustained; spread: Sustained }[] = [];
    for (const inFlight of IN_FLIGHT_LEVELS) {
      process.stdout.write(`${inFlight} parallel executions of one pipeline…\n`);
      const onePipeline = await sustained(orchestration, observations, store, [names.parallel], inFlight, engineRuns);
      process.stdout.write(`${inFlight} parallel executions over ${inFlight} pipelines…\n`);
      const spread = await sustained(orchestration, observations, store, names.spread.slice(0, inFlight), inFlight, engineRuns);
      throughput.push({ inFlight, onePipeline, spread });
    }
    load.afterParallel = loadavg();

    // 3. Replay: one execution grown to ~1,000 events by heartbeats, then read and folded.
    process.stdout.write('a 1,000-event execution…\n');
    const longId = await runOne(names.long);
    const longRuns = engineRuns().filter((e) => e.executions.includes(longId));
    const engineOnStream = (runs: EngineTiming[]) => ({ transaction: latencySummary(runs.map((e) => e.end - e.start)), load: latencySummary(runs.map((e) => e.loadMs)) });
    const longEngine = { first50: engineOnStream(longRuns.slice(0, 50)), last50: engineOnStream(longRuns.slice(-50)) };
    const events = await executionEvents(store, longId);
    const readAndFold: number[] = [];
    const foldOnly: number[] = [];
    for (let i = -3; i < 30; i++) {
      const t0 = performance.now();
      await loadExecution(store, longId);
      if (i >= 0) readAndFold.push(performance.now() - t0);
    }
    for (let i = -10; i < 100; i++) {
      const t0 = performance.now();
      fold(executionDecider, events);
      if (i >= 0) foldOnly.push(performance.now() - t0);
    }
    load.end = loadavg();

    const overhead = latencySummary(totals);
    const replay = latencySummary(readAndFold);
    const foldSummary = latencySummary(foldOnly);
    const part = (key: 'toEngineMs' | 'engineMs' | 'fromEngineMs' | 'loadMs' | 'appendMs') => {
      const v = defined(serialSamples.map((s) => s[key]));
      return { p50Ms: p(v, 50), p99Ms: p(v, 99) };
    };
    const breakdown = { samplesMatched: defined(serialSamples.map((s) => s.engineMs)).length, kafkaToEngine: part('toEngineMs'), engineTransaction: part('engineMs'), engineToWorker: part('fromEngineMs'), loadStreams: part('loadMs'), appendAndCommitWrites: part('appendMs') };
    const byStage = {
      withinStage: latencySummary(serialSamples.filter((s) => !s.crossesStage).map((s) => s.totalMs)),
      crossingStage: latencySummary(serialSamples.filter((s) => s.crossesStage).map((s) => s.totalMs)),
    };
    const rows: BenchRow[] = [
      { metric: 'per-action overhead p50 (success -> next request)', value: overhead.p50Ms, unit: 'ms', target: '<= 20', met: overhead.p50Ms <= 20, note: `${overhead.samples} samples, ${REPEATS} executions x 20 serial NoOps` },
      { metric: 'per-action overhead p99', value: overhead.p99Ms, unit: 'ms', target: '<= 100', met: overhead.p99Ms <= 100, note: `max ${overhead.maxMs} ms` },
      ...throughput.flatMap(({ inFlight, onePipeline, spread }) =>
        ([['one pipeline', onePipeline], [`${inFlight} pipelines`, spread]] as const).flatMap(([label, r]): BenchRow[] => {
          const judged = inFlight === MAX_IN_FLIGHT;
          return [
            { metric: `sustained actions completed/s, ${inFlight} in flight, ${label}`, value: r.perSecond, unit: 'actions/s', target: judged ? '>= 200' : undefined, met: judged ? r.perSecond >= 200 : undefined, note: `${r.seconds} s, ${r.eventsPerSecond} events/s appended, ${r.engine.transactionsPerSecond} transactions/s, cores used: ${Object.entries(r.cpu).map(([name, cores]) => `${name} ${cores}`).join(', ')}` },
            { metric: `  overhead under that load p50`, value: r.overhead.p50Ms, unit: 'ms', note: `p99 ${r.overhead.p99Ms} ms, ${r.engine.conflictRetries} version-conflict retries` },
          ];
        }),
      ),
      { metric: `replay: readStream + fold (${events.length} events)`, value: replay.p50Ms, unit: 'ms', target: '< 50', met: replay.p50Ms < 50, note: `p99 ${replay.p99Ms} ms` },
      { metric: `replay: fold alone (${events.length} events)`, value: foldSummary.p50Ms, unit: 'ms', note: `p99 ${foldSummary.p99Ms} ms` },
      { metric: 'engine transaction on the 1,000-event stream p50 (last 50)', value: longEngine.last50.transaction.p50Ms, unit: 'ms', note: `first 50: ${longEngine.first50.transaction.p50Ms} ms; load ${longEngine.first50.load.p50Ms} -> ${longEngine.last50.load.p50Ms} ms` },
      { metric: 'floor: bare INSERT (autocommit)', value: insertFloor.perSecond, unit: 'tx/s', note: '5 s' },
      { metric: 'floor: Kafka produce -> consume p50', value: kafkaFloor.p50Ms, unit: 'ms', note: `p99 ${kafkaFloor.p99Ms} ms; an action crosses Kafka twice` },
    ];
    printTable('orchestrator', rows);
    process.stdout.write(`\nwhere a serial action's overhead goes (p50/p99 ms): ${JSON.stringify(breakdown)}\n`);
    const file = writeResults('orchestrator', {
      settings: { repeats: REPEATS, throughputMs: THROUGHPUT_MS, inFlight: IN_FLIGHT_LEVELS, heartbeatsPerJob: HEARTBEATS_PER_JOB, pipeline: 'Source + 4 stages x 5 serial NoOps, PARALLEL' },
      rows,
      raw: { overhead, byStage, breakdown, parallel: throughput, replay, foldOnly: foldSummary, longExecution: { events: events.length, engine: longEngine }, insertFloor, kafkaFloor, loadAverage: load },
    });
    process.stdout.write(`written to ${file}\n`);
  } finally {
    await worker.stop();
    const exits = await orchestration.stop();
    if (exits.some((e) => e?.code !== 0)) process.stderr.write(`${orchestration.orchestrator.lines.filter((l) => !l.startsWith(ENGINE_TIMING_PREFIX)).slice(-30).join('\n')}\n`);
    await store?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store?.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
