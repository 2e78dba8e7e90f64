import pino from 'pino';
import type { DataSource } from 'typeorm';
import { connect } from './connect';
import { readAll, readStream, type Query } from './reads';
import { tables, type Tables } from './schema';
import { appendEvents, type WriteContext } from './append';
import { EventStoreTransaction } from './transaction';
import type { AppendOptions, AppendResult, ExpectedVersion, Logger, NewEvent, ReadAllOptions, ReadAllResult, RecordedEvent } from './types';

export interface EventStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** The owning service's schema: its log, outbox, inbox and checkpoints live there. */
  schema: string;
  /** Registry of known event types; when given, reading any other type fails with UnknownEventType. */
  eventTypes?: Iterable<string>;
  /** Limit on an event's serialized data + metadata (default 1 MiB). */
  maxEventBytes?: number;
  /** Pool size (default 10). */
  poolSize?: number;
  /** How long to keep retrying an unreachable PostgreSQL at start (default 30 s). */
  startDeadlineMs?: number;
  applicationName?: string;
  logger?: Logger;
}

/** Opens (and migrates) the event store of one owning service. */
export async function openEventStore(options: EventStoreOptions): Promise<EventStore> {
  const logger = options.logger ?? pino({ name: '@pipewright/event-store' }, pino.destination(2));
  const dataSource = await connect({
    url: options.url,
    schema: options.schema,
    poolSize: options.poolSize ?? 10,
    startDeadlineMs: options.startDeadlineMs ?? 30_000,
    applicationName: options.applicationName ?? `pipewright:${options.schema}`,
    logger,
  });
  return new EventStore(dataSource, {
    tables: tables(options.schema),
    knownTypes: options.eventTypes ? new Set(options.eventTypes) : undefined,
    maxEventBytes: options.maxEventBytes ?? 1024 * 1024,
  }, options.schema, logger);
}

export class EventStore {
  readonly tables: Tables;

  constructor(
    readonly dataSource: DataSource,
    private readonly ctx: WriteContext,
    readonly schema: string,
    readonly logger: Logger,
  ) {
    this.tables = ctx.tables;
  }

  /** Raw SQL on a pooled connection, outside any transaction. */
  readonly query: Query = async (sql, params) => {
    const result = await this.dataSource.query(sql, params as any[]);
    return result;
  };

  /** Runs `work` in one PostgreSQL transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  async transaction<T>(work: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await work(new EventStoreTransaction(runner, this.ctx));
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Appends as a transaction of its own (a single statement). A conflict goes to the caller, whose
   * decision was made on a stale state: reload, decide again, append again.
   */
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return appendEvents(this.query, this.ctx, streamId, expectedVersion, events, options);
  }

  readStream(streamId: string, options?: { fromVersion?: number; limit?: number }): Promise<RecordedEvent[]> {
    return readStream(this.query, this.ctx, streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    return readAll(this.query, this.ctx, options);
  }

  /** The read context for components of this library (relay, projection runner). */
  get readContext(): WriteContext {
    return this.ctx;
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
