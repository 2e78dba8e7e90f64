import { Doorbell } from './doorbell';
import { errorText } from './errors';
import { checkpointOf, holdsMoreAfter, readAll } from './reads';
import { lockKey } from './schema';
import type { EventStore } from './store';
import type { EventStoreTransaction } from './transaction';
import type { Checkpoint, RecordedEvent } from './types';

/** A read model built from the log. It can be reset and rebuilt at any time; the result must be the same. */
export interface Projection {
  readonly name: string;
  /** Empties the read model (the runner then replays the whole log into it). */
  reset(tx: EventStoreTransaction): Promise<void>;
  apply(event: RecordedEvent, tx: EventStoreTransaction): Promise<void>;
  /** Called once a batch's transaction committed: effects outside the database (e.g. metrics) happen only then. */
  committed?(): void;
  /** Called when a batch's transaction rolled back: what apply buffered for committed() is dropped. */
  rolledBack?(): void;
}

export interface ProjectionRunnerOptions {
  batchSize?: number;
  /** How often the background runner looks when nothing wakes it. */
  pollIntervalMs?: number;
  /**
   * After a wake, how long it waits before it looks, so a burst of commits costs one catch-up; also
   * how soon it looks again at events that an older, still running transaction holds back.
   */
  wakeDelayMs?: number;
}

/**
 * Follows the log for each projection from its stored checkpoint. A batch's events and the new
 * checkpoint commit in one transaction, so a crash never applies an event twice or skips one.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly wakeDelayMs: number;
  private readonly appended = new Doorbell();
  private running = false;
  private loop: Promise<void> | undefined;
  private stopSignal = new AbortController();

  constructor(
    private readonly store: EventStore,
    options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.wakeDelayMs = options.wakeDelayMs ?? 20;
  }

  /** Applies every event readable now; returns how many it applied. */
  async catchUp(projection: Projection): Promise<number> {
    return (await this.follow(projection)).applied;
  }

  /** Drops the read model and replays the log from the start into it. */
  async rebuild(projection: Projection): Promise<number> {
    const t = this.store.tables;
    await this.store.transaction(async (tx) => {
      await this.lock(tx, projection);
      await projection.reset(tx);
      await tx.query(`DELETE FROM ${t.projectionCheckpoints} WHERE name = $1`, [projection.name]);
    });
    return this.catchUp(projection);
  }

  async checkpoint(name: string): Promise<Checkpoint | undefined> {
    const [row] = await this.store.query(`SELECT transaction_id, position FROM ${this.store.tables.projectionCheckpoints} WHERE name = $1`, [name]);
    return row ? checkpointOf(row) : undefined;
  }

  /**
   * Keeps the projections caught up in the background until `stop`: it looks when woken (see
   * `wake`), and every `pollIntervalMs` for appends nobody announced (another process's).
   */
  start(projections: readonly Projection[]): void {
    if (this.running) return;
    this.running = true;
    this.stopSignal = new AbortController();
    const stop = this.stopSignal.signal;
    this.loop = (async () => {
      while (this.running) {
        this.appended.clear();
        let heldBack = false;
        for (const projection of projections) {
          const followed = await this.follow(projection).catch((error) =>
            this.store.logger.error({ projection: projection.name, error: errorText(error) }, 'projection failed; retrying'),
          );
          heldBack ||= followed?.heldBack ?? false;
        }
        // Held back: the transaction holding them may announce nothing, so look again soon.
        if (heldBack || (await this.appended.wait(this.pollIntervalMs, stop))) await this.appended.wait(this.wakeDelayMs, stop, false);
      }
    })();
  }

  /** Announces committed appends: the background runner looks (after `wakeDelayMs`) instead of waiting for its poll. */
  wake(): void {
    this.appended.ring();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal.abort();
    await this.loop;
  }

  /** Applies every event readable now; `heldBack` when the log holds more that is not readable yet. */
  private async follow(projection: Projection): Promise<{ applied: number; heldBack: boolean }> {
    let applied = 0;
    for (;;) {
      const batch = await this.applyBatch(projection);
      applied += batch.applied;
      if (batch.applied < this.batchSize) return { applied, heldBack: batch.heldBack };
    }
  }

  private async applyBatch(projection: Projection): Promise<{ applied: number; heldBack: boolean }> {
    let applied: { applied: number; heldBack: boolean };
    try {
      applied = await this.applyInTransaction(projection);
    } catch (error) {
      projection.rolledBack?.();
      throw error;
    }
    projection.committed?.();
    return applied;
  }

  private applyInTransaction(projection: Projection): Promise<{ applied: number; heldBack: boolean }> {
    const t = this.store.tables;
    return this.store.transaction(async (tx) => {
      await this.lock(tx, projection);
      const [saved] = await tx.query(`SELECT transaction_id, position FROM ${t.projectionCheckpoints} WHERE name = $1`, [projection.name]);
      // Read before this transaction writes anything: it has no transaction id yet, so it does not hold back its own read.
      const { events, checkpoint } = await readAll(tx.query, this.store.readContext, {
        after: saved ? checkpointOf(saved) : undefined,
        limit: this.batchSize,
      });
      for (const event of events) await projection.apply(event, tx);
      if (events.length > 0) {
        await tx.query(
          `INSERT INTO ${t.projectionCheckpoints} (name, transaction_id, position) VALUES ($1, $2::xid8, $3)
           ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()`,
          [projection.name, checkpoint.transactionId, checkpoint.position],
        );
      }
      if (events.length === this.batchSize) return { applied: events.length, heldBack: false };
      return { applied: events.length, heldBack: await holdsMoreAfter(tx.query, t.events, checkpoint) };
    });
  }

  /** One runner at a time per projection (a rebuild and a live runner, or two service instances). */
  private lock(tx: EventStoreTransaction, projection: Projection): Promise<unknown> {
    return tx.query(`SELECT pg_advisory_xact_lock(${lockKey(1)})`, [`${this.store.tables.projectionCheckpoints}:${projection.name}`]);
  }
}
