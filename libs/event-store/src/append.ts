import { randomUUID } from 'node:crypto';
import { DuplicateEventId, EventTooLarge, StreamVersionConflict } from './errors';
import type { Query, ReadContext } from './reads';
import type { AppendOptions, AppendResult, ExpectedVersion, NewEvent } from './types';

export interface WriteContext extends ReadContext {
  maxEventBytes: number;
}

/**
 * Appends through the schema's append_events function (one round trip): on a pooled connection it
 * is a transaction of its own, in a caller's transaction it joins it.
 */
export async function appendEvents(
  query: Query,
  ctx: WriteContext,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: readonly NewEvent[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  if (events.length === 0) throw new RangeError(`append to ${streamId} needs at least one event`);
  const ids: string[] = [];
  const types: string[] = [];
  const datas: string[] = [];
  const metadatas: string[] = [];
  for (const event of events) {
    const data = JSON.stringify(event.data ?? null);
    const metadata = JSON.stringify({ ...options.metadata, ...event.metadata });
    const size = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    if (size > ctx.maxEventBytes) throw new EventTooLarge(streamId, event.type, size, ctx.maxEventBytes);
    ids.push(event.id ?? randomUUID());
    types.push(event.type);
    datas.push(data);
    metadatas.push(metadata);
  }
  const expected = expectedVersion === 'any' ? null : expectedVersion === 'no_stream' ? 0 : expectedVersion;
  let row: { actual: string; in_order: boolean; next_version: string | null; last_position: string | null };
  try {
    [row] = await query(`SELECT actual, in_order, next_version, last_position FROM ${ctx.tables.schema}.append_events($1, $2, $3, $4, $5, $6)`, [
      streamId,
      expected,
      ids,
      types,
      datas,
      metadatas,
    ]);
  } catch (error) {
    throw translateUniqueViolation(error, streamId, expectedVersion);
  }
  const actual = Number(row.actual);
  if (!row.in_order) {
    throw new StreamVersionConflict(streamId, expectedVersion, actual, `stream ${streamId} was appended by a newer transaction while this one ran; retry`);
  }
  if (row.next_version === null) throw new StreamVersionConflict(streamId, expectedVersion, actual);
  return { nextExpectedVersion: Number(row.next_version), lastPosition: Number(row.last_position) };
}

function translateUniqueViolation(error: unknown, streamId: string, expected: ExpectedVersion): unknown {
  const cause = (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? (error as { code?: string; constraint?: string });
  if (cause?.code !== '23505') return error;
  // Reached only when the caller's isolation level (REPEATABLE READ or above) hides the previous append from the version check.
  if (cause.constraint?.includes('stream_version')) return new StreamVersionConflict(streamId, expected, -1, `stream ${streamId} was appended concurrently`);
  if (cause.constraint?.includes('event_id')) return new DuplicateEventId(streamId);
  return error;
}
