import type { QueryRunner } from 'typeorm';
import { Doorbell } from './doorbell';
import { errorText } from './errors';
import { checkpointOf, holdsMoreAfter } from './reads';
import { lockKey } from './schema';
import type { EventStore } from './store';
import { START, type Checkpoint, type OutboxMessage, type OutboxPublisher } from './types';

export interface OutboxRelayOptions {
  /** Names the checkpoint row and the leadership lock: one active relay per name and schema. */
  name?: string;
  batchSize?: number;
  /** Fallback poll when no notification comes (e.g. a notification lost with a dropped connection). */
  pollIntervalMs?: number;
}

/**
 * Delivers the outbox at least once, in outbox order, and survives restarts: it publishes a batch,
 * then saves the batch's checkpoint, so a crash in between republishes (never skips) that batch.
 * Rows become readable only once every older transaction has ended (see readAll), so a message
 * whose transaction commits late is not passed over.
 */
export class OutboxRelay {
  private readonly name: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running = false;
  /** Rung by the outbox trigger's NOTIFY. */
  private readonly notifications = new Doorbell();
  private stopSignal = new AbortController();
  private loop: Promise<void> | undefined;
  private current: Checkpoint = START;

  constructor(
    private readonly store: EventStore,
    private readonly publisher: OutboxPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.name = options.name ?? 'default';
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  get checkpoint(): Checkpoint {
    return this.current;
  }

  /**
   * Outbox rows after this relay's saved checkpoint: how many and how old the oldest is (0 when
   * none). Read from the database, so any instance answers for the relay that leads.
   */
  async lag(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const t = this.store.tables;
    const [row] = await this.store.query(
      `SELECT count(*)::bigint AS pending, coalesce(extract(epoch FROM now() - min(o.enqueued_at)), 0)::float8 AS oldest
         FROM ${t.outbox} o
         LEFT JOIN ${t.outboxCheckpoint} c ON c.relay = $1
        WHERE c.relay IS NULL OR (o.transaction_id, o.position) > (c.transaction_id, c.position)`,
      [this.name],
    );
    return { pending: Number(row.pending), oldestAgeSeconds: Math.max(0, Number(row.oldest)) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopSignal = new AbortController();
    this.loop = this.run();
  }

  /** Finishes the batch in hand, saves its checkpoint and lets go of the connection. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        await this.session();
        backoffMs = 100;
      } catch (error) {
        this.store.logger.error({ relay: this.name, error: errorText(error), retryInMs: backoffMs }, 'outbox relay failed; restarting');
        await this.pause(backoffMs, false);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  /** One connection's life: listen, become the leader, relay until stopped. */
  private async session(): Promise<void> {
    const t = this.store.tables;
    const runner = this.store.dataSource.createQueryRunner();
    const client = await runner.connect();
    const onNotification = () => this.notifications.ring();
    client.on('notification', onNotification);
    try {
      await runner.query(`LISTEN "${t.outboxChannel}"`);
      const leaderKey = `${t.outbox}:relay:${this.name}`;
      while (this.running) {
        const [{ leader }] = await runner.query(`SELECT pg_try_advisory_lock(${lockKey(1)}) AS leader`, [leaderKey]);
        if (leader) break;
        await this.pause(this.pollIntervalMs, false);
      }
      const [saved] = await runner.query(`SELECT transaction_id, position FROM ${t.outboxCheckpoint} WHERE relay = $1`, [this.name]);
      this.current = saved ? checkpointOf(saved) : START;
      await this.relay(runner);
    } finally {
      client.removeListener('notification', onNotification);
      // A session lock dies with its connection; releasing the connection to the pool would not end it.
      await runner.query(`SELECT pg_advisory_unlock_all()`).catch(() => undefined);
      await runner.query(`UNLISTEN *`).catch(() => undefined);
      await runner.release();
    }
  }

  private async relay(runner: QueryRunner): Promise<void> {
    const t = this.store.tables;
    let heldBackMs = 1;
    while (this.running) {
      this.notifications.clear();
      const rows = await runner.query(
        `SELECT position, transaction_id, topic, key, value, headers, enqueued_at FROM ${t.outbox}
          WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id, position
          LIMIT $3`,
        [this.current.transactionId, this.current.position, this.batchSize],
      );
      if (rows.length > 0) {
        const batch = rows.map(toOutboxMessage);
        await this.publisher.publish(batch);
        const last = batch[batch.length - 1];
        await runner.query(
          `INSERT INTO ${t.outboxCheckpoint} (relay, transaction_id, position) VALUES ($1, $2::xid8, $3)
           ON CONFLICT (relay) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()`,
          [this.name, last.transactionId, last.position],
        );
        this.current = { transactionId: last.transactionId, position: last.position };
        heldBackMs = 1;
        continue;
      }
      // Committed messages that an older, still running transaction holds back: look again soon,
      // since that transaction may write no outbox row and so send no notification.
      if (await holdsMoreAfter((sql, params) => runner.query(sql, params), t.outbox, this.current)) {
        await this.pause(heldBackMs);
        heldBackMs = Math.min(heldBackMs * 2, 100);
      } else {
        await this.pause(this.pollIntervalMs);
      }
    }
  }

  /** Sleeps up to `ms`; stop ends it, and so does a notification when `wakeOnNotify`. */
  private async pause(ms: number, wakeOnNotify = true): Promise<void> {
    if (this.running) await this.notifications.wait(ms, this.stopSignal.signal, wakeOnNotify);
  }
}

function toOutboxMessage(row: any): OutboxMessage {
  return {
    position: Number(row.position),
    transactionId: String(row.transaction_id),
    topic: row.topic,
    key: row.key,
    value: row.value,
    headers: row.headers,
    enqueuedAt: row.enqueued_at,
  };
}
