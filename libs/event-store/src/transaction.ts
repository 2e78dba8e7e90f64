import type { QueryRunner } from 'typeorm';
import { appendEvents, type WriteContext } from './append';
import { readStream, type Query } from './reads';
import type { AppendOptions, AppendResult, ExpectedVersion, NewEvent, NewOutboxMessage, RecordedEvent } from './types';

/**
 * One PostgreSQL transaction of a service: events, outbox messages, inbox marks and read-model
 * writes commit or roll back together. Obtained from `EventStore.transaction`.
 */
export class EventStoreTransaction {
  constructor(
    private readonly runner: QueryRunner,
    private readonly ctx: WriteContext,
  ) {}

  /** Raw SQL in this transaction (read models, service tables); returns the rows. */
  readonly query: Query = async (sql, params) => {
    const result = await this.runner.query(sql, params as any[], true);
    return result.records;
  };

  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return appendEvents(this.query, this.ctx, streamId, expectedVersion, events, options);
  }

  readStream(streamId: string, options?: { fromVersion?: number; limit?: number }): Promise<RecordedEvent[]> {
    return readStream(this.query, this.ctx, streamId, options);
  }

  /**
   * Waits until no other transaction holds these streams' locks, then holds them to the end of this
   * one (PostgreSQL advisory locks, so across processes too; taken in one order, so two lockers
   * cannot wait on each other). For streams many writers share: they take turns instead of all
   * deciding and all but one failing their append. Read the streams after this: a statement sees
   * what the previous holder committed. Lock before this transaction's first write, or an earlier
   * holder's append is newer than this transaction (append_events' in_order) and this append fails.
   */
  async lockStreams(streamIds: readonly string[]): Promise<void> {
    if (streamIds.length === 0) return;
    const keys = [...new Set(streamIds)].sort().map((id) => `${this.ctx.tables.schema}/${id}`);
    await this.query('SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) ordered', [keys]);
  }

  /** Messages the relay publishes once this transaction commits, in this order. */
  async enqueueOutbox(messages: readonly NewOutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.query(
      `INSERT INTO ${this.ctx.tables.outbox} (topic, key, value, headers)
       SELECT m.topic, m.key, m.value, m.headers
         FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[]) WITH ORDINALITY AS m(topic, key, value, headers, ord)
        ORDER BY m.ord`,
      [
        messages.map((m) => m.topic),
        messages.map((m) => m.key ?? null),
        messages.map((m) => (typeof m.value === 'string' ? Buffer.from(m.value) : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength))),
        messages.map((m) => JSON.stringify(m.headers ?? {})),
      ],
    );
  }

  /**
   * Records that `consumer` handled `messageId`; false when it already had, so the caller skips the
   * message. Concurrent duplicates wait for each other: exactly one sees true.
   */
  async markProcessed(consumer: string, messageId: string): Promise<boolean> {
    return (await this.markAllProcessed(consumer, [messageId])).has(messageId);
  }

  /**
   * markProcessed for a run of messages in one statement: the ids `consumer` had not handled yet (a
   * duplicate within the run counts once: the caller handles its first occurrence only).
   */
  async markAllProcessed(consumer: string, messageIds: readonly string[]): Promise<Set<string>> {
    if (messageIds.length === 0) return new Set();
    const rows = await this.query<{ message_id: string }>(
      `INSERT INTO ${this.ctx.tables.inbox} (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, [...new Set(messageIds)]],
    );
    return new Set(rows.map((r) => r.message_id));
  }
}
