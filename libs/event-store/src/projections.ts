import { setTimeout as sleep } from 'node:timers/promises';
import { errorText } from './errors';
import { checkpointOf, readAll } from './reads';
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
  pollIntervalMs?: number;
}

/**
 * Follows the log for each projection from its stored checkpoint. A batch's events and the new
 * checkpoint commit in one transaction, so a crash never applies an event twice or skips one.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private stopSignal = new AbortController();

  constructor(
    private readonly store: EventStore,
    options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
  }

  /** Applies every event readable now; returns how many it applied. */
  async catchUp(projection: Projection): Promise<number> {
    let total = 0;
    for (;;) {
      const applied = await this.applyBatch(projection);
      total += applied;
      if (applied < this.batchSize) return total;
    }
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

  /** Keeps the projections caught up in the background until `stop`. */
  start(projections: readonly Projection[]): void {
    if (this.running) return;
    this.running = true;
    this.stopSignal = new AbortController();
    this.loop = (async () => {
      while (this.running) {
        for (const projection of projections) {
          await this.catchUp(projection).catch((error) =>
            this.store.logger.error({ projection: projection.name, error: errorText(error) }, 'projection failed; retrying'),
          );
        }
        await sleep(this.pollIntervalMs, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal.abort();
    await this.loop;
  }

  private async applyBatch(projection: Projection): Promise<number> {
    let applied: number;
    try {
      applied = await this.applyInTransaction(projection);
    } catch (error) {
      projection.rolledBack?.();
      throw error;
    }
    projection.committed?.();
    return applied;
  }

  private applyInTransaction(projection: Projection): Promise<number> {
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
      return events.length;
    });
  }

  /** One runner at a time per projection (a rebuild and a live runner, or two service instances). */
  private lock(tx: EventStoreTransaction, projection: Projection): Promise<unknown> {
    return tx.query(`SELECT pg_advisory_xact_lock(${lockKey(1)})`, [`${this.store.tables.projectionCheckpoints}:${projection.name}`]);
  }
}
