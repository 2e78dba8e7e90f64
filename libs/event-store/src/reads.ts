import { UnknownEventType } from './errors';
import type { Tables } from './schema';
import { START, type Checkpoint, type ReadAllOptions, type ReadAllResult, type RecordedEvent } from './types';

/** Runs one statement and returns its rows: a pooled connection or a transaction's. */
export type Query = <Row = any>(sql: string, params?: unknown[]) => Promise<Row[]>;

export interface ReadContext {
  tables: Tables;
  /** When set, reading any other type fails with UnknownEventType. */
  knownTypes?: ReadonlySet<string>;
}

const columns = 'position, stream_id, stream_version, event_id, type, data, metadata, recorded_at, transaction_id';

export async function readStream(query: Query, ctx: ReadContext, streamId: string, options: { fromVersion?: number; limit?: number } = {}): Promise<RecordedEvent[]> {
  const rows = await query(
    `SELECT ${columns} FROM ${ctx.tables.events} WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`,
    [streamId, options.fromVersion ?? 1, options.limit ?? null],
  );
  return rows.map((row) => toRecordedEvent(row, ctx));
}

/**
 * The log in commit-safe order. Positions are taken before commit, so a transaction holding a lower
 * position can commit after a higher one is visible. Only rows written by transactions older than
 * the oldest still running are returned (they can no longer change), ordered by (transaction, position).
 */
export async function readAll(query: Query, ctx: ReadContext, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  const after = options.after ?? START;
  const rows = await query(
    `SELECT ${columns} FROM ${ctx.tables.events}
      WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id, position
      LIMIT $3`,
    [after.transactionId, after.position, options.limit ?? 1000],
  );
  const events = rows.map((row) => toRecordedEvent(row, ctx));
  const last = events.at(-1);
  return { events, checkpoint: last ? { transactionId: last.transactionId, position: last.position } : after };
}

/**
 * Whether `table` (the log or the outbox) holds rows after `after` at all, readable or not: rows
 * that readAll does not return yet because an older transaction still runs. That transaction may
 * announce nothing when it ends, so a follower that finds some looks again soon.
 */
export async function holdsMoreAfter(query: Query, table: string, after: Checkpoint): Promise<boolean> {
  const [{ held }] = await query<{ held: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE (transaction_id, position) > ($1::xid8, $2::bigint)) AS held`, [
    after.transactionId,
    after.position,
  ]);
  return held;
}

export function checkpointOf(row: { transaction_id: string; position: string | number }): Checkpoint {
  return { transactionId: String(row.transaction_id), position: Number(row.position) };
}

function toRecordedEvent(row: any, ctx: ReadContext): RecordedEvent {
  const position = Number(row.position);
  if (ctx.knownTypes && !ctx.knownTypes.has(row.type)) throw new UnknownEventType(position, row.type);
  return {
    position,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
    transactionId: String(row.transaction_id),
  };
}
