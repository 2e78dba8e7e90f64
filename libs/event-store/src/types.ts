/** Who and what caused an event, and the trace it belongs to; stored beside the event data. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  /** W3C trace context of the writing span, so consumers continue the same trace. */
  traceparent?: string;
  tracestate?: string;
  actor?: string;
  [key: string]: unknown;
}

/** An event to append. The id is the idempotency key consumers dedupe on; a random UUID when absent. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  id?: string;
  metadata?: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  position: number;
  streamId: string;
  /** 1 for the first event of a stream. */
  streamVersion: number;
  eventId: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
  /** The writing transaction (xid8 as a decimal string): with `position`, the readAll order. */
  transactionId: string;
}

/**
 * The version the decision was made on: a number (the stream's last version; 0 = empty stream),
 * 'no_stream' (the stream must not exist, same as 0), or 'any' (no check).
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendOptions {
  /** Merged under each event's own metadata (e.g. the command's correlation id and actor). */
  metadata?: EventMetadata;
}

export interface AppendResult {
  /** The stream's version after this append: the expected version for the next one. */
  nextExpectedVersion: number;
  lastPosition: number;
}

/**
 * A place in the global order: (writing transaction, position). Rows are read in this order and
 * only once every older transaction has ended, so a late commit is never skipped.
 */
export interface Checkpoint {
  transactionId: string;
  position: number;
}

export const START: Checkpoint = Object.freeze({ transactionId: '0', position: 0 });

export interface ReadAllOptions {
  after?: Checkpoint;
  limit?: number;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where the next read continues: the last returned event's checkpoint, or `after` when none. */
  checkpoint: Checkpoint;
}

/** A message to publish through the outbox, written in the same transaction as the events. */
export interface NewOutboxMessage {
  topic: string;
  key?: string | null;
  value: Buffer | Uint8Array | string;
  /** Opaque to the relay: callers put the CloudEvents ce_* headers and trace context here. */
  headers?: Record<string, string>;
}

export interface OutboxMessage {
  position: number;
  transactionId: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  enqueuedAt: Date;
}

/** Where outbox messages go; at least once, in the order given. */
export interface OutboxPublisher {
  publish(batch: OutboxMessage[]): Promise<void>;
}

/** The subset of pino's logger this library writes to. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
