import { UNANNOUNCED_POLL_MS } from '../config';
import type { ExecutionEngine, Unit } from './execution-engine';
import type { DueTimer, ExecutionTables } from './execution-tables';
import { TimerPoller } from './timer-poller';

/**
 * The timers table and the engine, in memory: the poller's schedule is what is under test here.
 * The real table and engine fire timers in the orchestrator's e2e tests.
 */
function harness() {
  const rows: DueTimer[] = [];
  const fired: string[] = [];
  const looks: number[] = [];
  let listener: ((unit: Unit) => void) | undefined;
  let failNextLook = false;
  let holdLooks: Promise<void> | undefined;
  const tables = {
    async due(now: Date, limit: number) {
      looks.push(Date.now());
      if (failNextLook) {
        failNextLook = false;
        throw new Error('connection terminated');
      }
      const sorted = [...rows].sort((a, b) => a.fireAt.getTime() - b.fireAt.getTime()).slice(0, limit + 1);
      const due = sorted.slice(0, limit).filter((timer) => timer.fireAt <= now);
      // Held after reading: what is committed meanwhile is not in this look's answer.
      await holdLooks;
      return { due, nextFireAt: sorted[due.length]?.fireAt };
    },
    async claim(_query: unknown, timer: DueTimer) {
      const index = rows.indexOf(timer);
      if (index < 0) return false;
      rows.splice(index, 1);
      return true;
    },
    async discard() {},
  };
  const engine = {
    afterCommit: (l: (unit: Unit) => void) => (listener = l),
    async run(work: { command: { data: { timerId: string } } }, options: { before: (tx: { query: unknown }) => Promise<boolean> }) {
      if (await options.before({ query: undefined })) fired.push(work.command.data.timerId);
    },
  };
  const poller = new TimerPoller(tables as unknown as ExecutionTables, engine as unknown as ExecutionEngine);
  const timer = (timerId: string, inMs: number): DueTimer => ({ timerId, pipelineExecutionId: 'e-1', fireAt: new Date(Date.now() + inMs), payload: {} as DueTimer['payload'] });
  return {
    poller,
    rows,
    fired,
    looks,
    /** A row written by another instance: nobody tells this poller. */
    scheduleElsewhere: (timerId: string, inMs: number) => rows.push(timer(timerId, inMs)),
    /** A row written by this process's commit, which tells the poller. */
    scheduleHere: (timerId: string, inMs: number) => {
      const row = timer(timerId, inMs);
      rows.push(row);
      listener!({ timers: [{ timerId, fireAt: row.fireAt.toISOString() }] } as unknown as Unit);
    },
    failNextLook: () => (failNextLook = true),
    hold: () => {
      let release!: () => void;
      holdLooks = new Promise((resolve) => (release = resolve));
      return () => {
        holdLooks = undefined;
        release();
      };
    },
  };
}

describe('TimerPoller', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-03T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  it('sleeps until the earliest timer is due and fires it then, not before, looking nowhere in between', async () => {
    const h = harness();
    h.scheduleElsewhere('t-1', 3_000);
    h.poller.onApplicationBootstrap();
    await advance(2_999);
    expect(h.fired).toEqual([]);
    expect(h.looks).toHaveLength(1);
    await advance(1);
    expect(h.fired).toEqual(['t-1']);
    expect(h.looks).toHaveLength(2);
    await h.poller.onModuleDestroy();
  });

  it('a timer a commit of this process schedules wakes it before its planned look', async () => {
    const h = harness();
    h.poller.onApplicationBootstrap();
    await advance(100);
    h.scheduleHere('t-1', 1_000);
    await advance(999);
    expect(h.fired).toEqual([]);
    await advance(1);
    expect(h.fired).toEqual(['t-1']);
    await h.poller.onModuleDestroy();
  });

  it('a later timer announced does not put off an earlier wake-up', async () => {
    const h = harness();
    h.scheduleElsewhere('t-early', 1_000);
    h.poller.onApplicationBootstrap();
    await advance(10);
    h.scheduleHere('t-late', 4_000);
    await advance(990);
    expect(h.fired).toEqual(['t-early']);
    await advance(3_009);
    expect(h.fired).toEqual(['t-early']);
    await advance(1);
    expect(h.fired).toEqual(['t-early', 't-late']);
    await h.poller.onModuleDestroy();
  });

  it('a timer announced while a look runs is not missed by that look', async () => {
    const h = harness();
    const release = h.hold();
    h.poller.onApplicationBootstrap();
    await advance(10);
    h.scheduleHere('t-1', 500);
    release();
    await advance(499);
    expect(h.fired).toEqual([]);
    await advance(1);
    expect(h.fired).toEqual(['t-1']);
    await h.poller.onModuleDestroy();
  });

  it("another instance's timer, which nobody announces, is found by the unannounced poll", async () => {
    const h = harness();
    h.poller.onApplicationBootstrap();
    await advance(10);
    h.scheduleElsewhere('t-1', 0);
    await advance(UNANNOUNCED_POLL_MS - 11);
    expect(h.fired).toEqual([]);
    await advance(1);
    expect(h.fired).toEqual(['t-1']);
    await h.poller.onModuleDestroy();
  });

  it('fires more due timers than one look takes, looking again at once', async () => {
    const h = harness();
    for (let i = 0; i < 250; i++) h.scheduleElsewhere(`t-${i}`, -1_000);
    h.poller.onApplicationBootstrap();
    await advance(10);
    expect(h.fired).toHaveLength(250);
    expect(h.looks).toHaveLength(3); // 100, 100, then 50 and nothing more due
    await h.poller.onModuleDestroy();
  });

  it('after a failed look, looks again within a second', async () => {
    const h = harness();
    h.scheduleElsewhere('t-1', 0);
    h.failNextLook();
    h.poller.onApplicationBootstrap();
    await advance(999);
    expect(h.fired).toEqual([]);
    await advance(1);
    expect(h.fired).toEqual(['t-1']);
    await h.poller.onModuleDestroy();
  });

  it('once destroyed, neither an announcement nor its schedule fires anything', async () => {
    const h = harness();
    h.scheduleElsewhere('t-1', 1_000);
    h.poller.onApplicationBootstrap();
    await advance(10);
    await h.poller.onModuleDestroy();
    h.scheduleHere('t-2', 0);
    await advance(UNANNOUNCED_POLL_MS * 2);
    expect(h.fired).toEqual([]);
    expect(h.rows).toHaveLength(2);
  });
});
