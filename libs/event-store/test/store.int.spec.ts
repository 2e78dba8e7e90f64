import { randomUUID } from 'node:crypto';
import { eventually, testEnv, uniqueName } from '@pipewright/testing';
import { EventTooLarge, isDeadlock, openEventStore, PostgresUnreachable, ProjectionRunner, StreamVersionConflict, UnknownEventType, type EventStore, type Projection } from '../src';

jest.setTimeout(60_000);

const schema = uniqueName('es_store');
let store: EventStore;

beforeAll(async () => {
  store = await openEventStore({ url: testEnv().databaseUrl, schema, maxEventBytes: 4096 });
});
afterAll(async () => {
  await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await store.close();
});

const started = (n: number) => ({ type: 'PipelineExecutionStarted', data: { n } });

describe('append', () => {
  it('numbers a new stream from 1 and returns the next expected version and position', async () => {
    const stream = `execution-${randomUUID()}`;
    const first = await store.append(stream, 'no_stream', [started(1), started(2)], { metadata: { correlationId: 'c-1', actor: 'alice' } });
    expect(first.nextExpectedVersion).toBe(2);
    const second = await store.append(stream, 2, [started(3)]);
    expect(second).toEqual({ nextExpectedVersion: 3, lastPosition: first.lastPosition + 1 });
    const events = await store.readStream(stream);
    expect(events.map((e) => [e.streamVersion, e.data])).toEqual([[1, { n: 1 }], [2, { n: 2 }], [3, { n: 3 }]]);
    expect(events[0].metadata).toEqual({ correlationId: 'c-1', actor: 'alice' });
    expect((await store.readStream(stream, { fromVersion: 3 })).map((e) => e.streamVersion)).toEqual([3]);
  });

  it('lets exactly one of two concurrent appends at the same expected version win', async () => {
    const stream = `execution-${randomUUID()}`;
    await store.append(stream, 'no_stream', [started(1)]);
    const results = await Promise.allSettled([store.append(stream, 1, [started(2)]), store.append(stream, 1, [started(2)])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.reason).toBeInstanceOf(StreamVersionConflict);
    expect(rejected.reason).toMatchObject({ code: 'ABORTED', stream, expected: 1, actual: 2 });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it("refuses 'no_stream' on an existing stream and a wrong expected version", async () => {
    const stream = `execution-${randomUUID()}`;
    await store.append(stream, 'no_stream', [started(1)]);
    await expect(store.append(stream, 'no_stream', [started(2)])).rejects.toMatchObject({ name: 'StreamVersionConflict', expected: 'no_stream', actual: 1 });
    await expect(store.append(stream, 5, [started(2)])).rejects.toMatchObject({ name: 'StreamVersionConflict', expected: 5, actual: 1 });
    await expect(store.append(stream, 0, [started(2)])).rejects.toBeInstanceOf(StreamVersionConflict);
    expect((await store.append(stream, 'any', [started(2)])).nextExpectedVersion).toBe(2);
  });

  it('refuses an append that would sort before the stream\'s last event in the global order', async () => {
    const stream = `execution-${randomUUID()}`;
    const error = await store
      .transaction(async (tx) => {
        // This transaction takes its id first (by writing), then another one appends to the stream and commits.
        await tx.markProcessed('ordering-test', stream);
        await store.append(stream, 'no_stream', [started(1)]);
        return tx.append(stream, 1, [started(2)]);
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StreamVersionConflict);
    expect(error.message).toMatch(/newer transaction/);
    expect(await store.transaction((tx) => tx.append(stream, 1, [started(2)]))).toMatchObject({ nextExpectedVersion: 2 });
  });

  it('refuses an event over the size limit and writes nothing of that append', async () => {
    const stream = `execution-${randomUUID()}`;
    const big = { type: 'PipelineExecutionStarted', data: { blob: 'x'.repeat(5000) } };
    const error = await store.append(stream, 'no_stream', [started(1), big]).catch((e) => e);
    expect(error).toBeInstanceOf(EventTooLarge);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', limitBytes: 4096 });
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('rolls the events back with the rest of a failed transaction', async () => {
    const stream = `execution-${randomUUID()}`;
    await expect(
      store.transaction(async (tx) => {
        await tx.append(stream, 'no_stream', [started(1)]);
        await tx.enqueueOutbox([{ topic: 'never', key: stream, value: 'x' }]);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.readStream(stream)).toEqual([]);
    expect(await store.query(`SELECT 1 FROM "${schema}".outbox WHERE key = $1`, [stream])).toEqual([]);
  });

  it('never updates or deletes a recorded event', async () => {
    const stream = `execution-${randomUUID()}`;
    await store.append(stream, 'no_stream', [started(1)]);
    await expect(store.query(`UPDATE "${schema}".events SET type = 'x' WHERE stream_id = $1`, [stream])).rejects.toThrow(/append-only/);
    await expect(store.query(`DELETE FROM "${schema}".events WHERE stream_id = $1`, [stream])).rejects.toThrow(/append-only/);
    await expect(store.query(`TRUNCATE "${schema}".events`)).rejects.toThrow(/append-only/);
  });
});

describe('lockStreams', () => {
  it('makes a second writer of a stream wait for the first to commit, and then see its events', async () => {
    const stream = `pipeline-lanes-${randomUUID()}`;
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = store.transaction(async (tx) => {
      await tx.lockStreams([stream]);
      firstLocked();
      await firstHolds;
      await tx.append(stream, 'no_stream', [started(1)]);
      order.push('first appended');
    });
    await locked;
    const second = store.transaction(async (tx) => {
      await tx.lockStreams(['another-stream', stream]);
      order.push('second locked');
      // Read after the lock: the first writer's commit is visible, so the append does not conflict.
      const seen = await tx.readStream(stream);
      await tx.append(stream, seen.length, [started(2)]);
      return seen.length;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(order).toEqual([]);
    releaseFirst();
    await first;
    expect(await second).toBe(1);
    expect(order).toEqual(['first appended', 'second locked']);
    expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('names the loser of a lock cycle a deadlock (taken one at a time in opposite orders): nothing of it is written', async () => {
    const [a, b] = [`pipeline-lanes-${randomUUID()}`, `pipeline-lanes-${randomUUID()}`];
    let bothHoldOne!: () => void;
    let holding = 0;
    const held = new Promise<void>((resolve) => (bothHoldOne = resolve));
    const crosswise = (first: string, second: string) =>
      store.transaction(async (tx) => {
        await tx.lockStreams([first]);
        await tx.append(first, 'any', [started(1)]);
        if (++holding === 2) bothHoldOne();
        await held;
        await tx.lockStreams([second]);
      });
    const results = await Promise.allSettled([crosswise(a, b), crosswise(b, a)]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(failures).toHaveLength(1);
    expect(isDeadlock(failures[0])).toBe(true);
    expect(isDeadlock(new StreamVersionConflict(a, 1, 2))).toBe(false);
    // The winner's event is there, the loser's was rolled back.
    expect((await store.readStream(a)).length + (await store.readStream(b)).length).toBe(1);
  });

  it('releases the locks when the transaction rolls back', async () => {
    const stream = `pipeline-lanes-${randomUUID()}`;
    await expect(
      store.transaction(async (tx) => {
        await tx.lockStreams([stream]);
        throw new Error('given up');
      }),
    ).rejects.toThrow('given up');
    await store.transaction((tx) => tx.lockStreams([stream]));
  });
});

describe('inbox', () => {
  it('marks a run of messages in one statement: ids handled before, or repeated in the run, are not new; a rolled-back mark is undone', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.transaction((tx) => tx.markProcessed('inbox-test', a));
    await expect(store.transaction(async (tx) => {
      await tx.markAllProcessed('inbox-test', [c]);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');

    const fresh = await store.transaction((tx) => tx.markAllProcessed('inbox-test', [a, b, b, c]));
    expect([...fresh].sort()).toEqual([b, c].sort());
    expect(await store.transaction((tx) => tx.markAllProcessed('inbox-test', [a, b, c]))).toEqual(new Set());
    // Another consumer has handled none of them.
    expect((await store.transaction((tx) => tx.markAllProcessed('other-consumer', [a]))).has(a)).toBe(true);
  });
});

describe('readAll', () => {
  it('does not pass a transaction that holds a lower position but commits late', async () => {
    const { checkpoint: before } = await store.readAll({ after: undefined, limit: 1_000_000 });
    let releaseLate!: () => void;
    const lateMayCommit = new Promise<void>((resolve) => (releaseLate = resolve));
    let lateAppended!: () => void;
    const lateHasAppended = new Promise<void>((resolve) => (lateAppended = resolve));
    const late = store.transaction(async (tx) => {
      const result = await tx.append(`late-${randomUUID()}`, 'no_stream', [started(1)]);
      lateAppended();
      await lateMayCommit;
      return result;
    });
    await lateHasAppended;
    const early = await store.append(`early-${randomUUID()}`, 'no_stream', [started(2)]);

    const whileOpen = await store.readAll({ after: before });
    expect(whileOpen.events.map((e) => e.position)).not.toContain(early.lastPosition);
    expect(whileOpen.checkpoint).toEqual(before);

    releaseLate();
    const lateResult = await late;
    expect(lateResult.lastPosition).toBeLessThan(early.lastPosition);
    const afterCommit = await store.readAll({ after: whileOpen.checkpoint });
    expect(afterCommit.events.map((e) => e.position)).toEqual([lateResult.lastPosition, early.lastPosition]);
    expect(await store.readAll({ after: afterCommit.checkpoint })).toEqual({ events: [], checkpoint: afterCommit.checkpoint });
  });

  it('names the position and type of an event outside the registry', async () => {
    const typed = await openEventStore({ url: testEnv().databaseUrl, schema, eventTypes: ['PipelineExecutionStarted'] });
    try {
      const stream = `execution-${randomUUID()}`;
      const { lastPosition } = await typed.append(stream, 'no_stream', [{ type: 'PipelineExecutionExploded', data: {} }]);
      const error = await typed.readStream(stream).catch((e) => e);
      expect(error).toBeInstanceOf(UnknownEventType);
      expect(error).toMatchObject({ position: lastPosition, eventType: 'PipelineExecutionExploded' });
      expect(error.message).toContain(`position ${lastPosition}`);
      await expect(typed.readAll({ limit: 1_000_000 })).rejects.toBeInstanceOf(UnknownEventType);
    } finally {
      await typed.close();
    }
  });
});

describe('projections', () => {
  // Counts events per stream type into a read model table.
  const table = `"${schema}".execution_counts`;
  const projection: Projection = {
    name: 'execution-counts',
    reset: async (tx) => void (await tx.query(`TRUNCATE ${table}`)),
    apply: async (event, tx) =>
      void (await tx.query(
        `INSERT INTO ${table} (stream_id, events, last_version) VALUES ($1, 1, $2)
         ON CONFLICT (stream_id) DO UPDATE SET events = ${table}.events + 1, last_version = excluded.last_version`,
        [event.streamId, event.streamVersion],
      )),
  };
  const snapshot = () => store.query(`SELECT stream_id, events, last_version FROM ${table} ORDER BY stream_id`);

  it('rebuilt from the log equals the live one', async () => {
    await store.query(`CREATE TABLE ${table} (stream_id text PRIMARY KEY, events int NOT NULL, last_version bigint NOT NULL)`);
    const runner = new ProjectionRunner(store, { batchSize: 50, pollIntervalMs: 20 });
    runner.start([projection]);
    const streams = Array.from({ length: 10 }, () => `execution-${randomUUID()}`);
    await Promise.all(
      streams.map(async (stream) => {
        let version = 0;
        for (let i = 0; i < 20; i++) version = (await store.append(stream, version === 0 ? 'no_stream' : version, [started(i)])).nextExpectedVersion;
      }),
    );
    await runner.stop();
    await runner.catchUp(projection);
    const live = await snapshot();
    expect(live.filter((r: any) => streams.includes(r.stream_id))).toHaveLength(10);
    expect(live.filter((r: any) => streams.includes(r.stream_id)).every((r: any) => r.events === 20 && r.last_version === '20')).toBe(true);

    const replayed = await runner.rebuild(projection);
    const { events: all } = await store.readAll({ limit: 1_000_000 });
    expect(replayed).toBe(all.length);
    expect(await snapshot()).toEqual(live);
    expect(await runner.checkpoint(projection.name)).toEqual({ transactionId: all.at(-1)!.transactionId, position: all.at(-1)!.position });
  });
  it('the background runner follows a wake at once, and soon after, what an older transaction held back', async () => {
    const counted = `"${schema}".woken_counts`;
    await store.query(`CREATE TABLE ${counted} (stream_id text PRIMARY KEY, events int NOT NULL)`);
    const woken: Projection = {
      name: 'woken-counts',
      reset: async (tx) => void (await tx.query(`TRUNCATE ${counted}`)),
      apply: async (event, tx) =>
        void (await tx.query(`INSERT INTO ${counted} (stream_id, events) VALUES ($1, 1) ON CONFLICT (stream_id) DO UPDATE SET events = ${counted}.events + 1`, [event.streamId])),
    };
    const applied = (stream: string) => async () => ((await store.query(`SELECT 1 FROM ${counted} WHERE stream_id = $1`, [stream])).length === 1 ? true : undefined);
    // Its poll is far beyond the test's timeout: only a wake, or looking again at held-back events, can apply them.
    const runner = new ProjectionRunner(store, { pollIntervalMs: 600_000, wakeDelayMs: 20 });
    runner.start([woken]);
    try {
      const announced = `execution-${randomUUID()}`;
      await store.append(announced, 'no_stream', [started(1)]);
      runner.wake();
      await eventually('the woken runner applied the append', applied(announced), 10_000, 20);

      let commitOlder!: () => void;
      const olderMayCommit = new Promise<void>((resolve) => (commitOlder = resolve));
      let olderHasItsId!: () => void;
      const olderStarted = new Promise<void>((resolve) => (olderHasItsId = resolve));
      const older = store.transaction(async (tx) => {
        await tx.query(`SELECT pg_current_xact_id()`);
        olderHasItsId();
        await olderMayCommit;
      });
      await olderStarted;
      const heldBack = `execution-${randomUUID()}`;
      await store.append(heldBack, 'no_stream', [started(1)]);
      runner.wake();
      // Readable only once the older transaction ends, which announces nothing.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await applied(heldBack)()).toBeUndefined();
      commitOlder();
      await older;
      await eventually('the runner applied the held-back append', applied(heldBack), 10_000, 20);
    } finally {
      await runner.stop();
    }
  });
});

describe('start', () => {
  it('gives up on an unreachable PostgreSQL after the deadline, naming it and its address', async () => {
    const url = new URL(testEnv().databaseUrl);
    url.port = '1';
    const warnings: string[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
    const error = await openEventStore({ url: url.toString(), schema, startDeadlineMs: 1500, logger }).catch((e) => e);
    expect(error).toBeInstanceOf(PostgresUnreachable);
    expect(error.message).toMatch(/PostgreSQL at 127\.0\.0\.1:1 is unreachable: gave up after/);
    expect(error.attempts).toBeGreaterThan(1);
    expect(warnings[0]).toMatch(/PostgreSQL at 127\.0\.0\.1:1 is unreachable; retrying/);
  });

  it('migrates an existing schema again without change', async () => {
    const again = await openEventStore({ url: testEnv().databaseUrl, schema });
    const [{ n }] = await again.query(`SELECT count(*)::int AS n FROM "${schema}".event_store_migrations`);
    await again.close();
    expect(n).toBe(4);
  });
});
