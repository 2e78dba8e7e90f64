import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { errorText, PostgresUnreachable } from './errors';
import { eventStoreMigrations } from './migrations';
import { lockKey, tables } from './schema';
import type { Logger } from './types';

export interface ConnectOptions {
  url: string;
  schema: string;
  /** Connections in the pool (the relay's LISTEN connection is one of them). */
  poolSize: number;
  /** Give up starting when PostgreSQL has not answered for this long. */
  startDeadlineMs: number;
  applicationName: string;
  logger: Logger;
}

/** host:port of a connection URL, for messages (never the password). */
export function addressOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

/**
 * A TypeORM DataSource on `url`, retried with exponential backoff while PostgreSQL does not
 * answer (a service often starts before its database), then migrated.
 */
export async function connect(options: ConnectOptions): Promise<DataSource> {
  const address = addressOf(options.url);
  const started = Date.now();
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    const dataSource = new DataSource({
      type: 'postgres',
      url: options.url,
      schema: options.schema,
      migrations: eventStoreMigrations(options.schema),
      migrationsTableName: 'event_store_migrations',
      logging: false,
      connectTimeoutMS: Math.min(5000, options.startDeadlineMs),
      extra: { max: options.poolSize, application_name: options.applicationName },
    });
    try {
      await dataSource.initialize();
      await migrate(dataSource, options.schema);
      return dataSource;
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      if (!isConnectionFailure(error)) throw error;
      const elapsed = Date.now() - started;
      if (elapsed >= options.startDeadlineMs) {
        const failure = new PostgresUnreachable(address, elapsed, attempt, error);
        options.logger.error({ address, attempts: attempt, elapsedMs: elapsed }, failure.message);
        throw failure;
      }
      const waitMs = Math.min(delayMs, options.startDeadlineMs - elapsed);
      options.logger.warn(
        { address, attempt, retryInMs: waitMs, error: errorText(error) },
        `PostgreSQL at ${address} is unreachable; retrying in ${waitMs} ms`,
      );
      await sleep(waitMs);
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}

/** Runs the migrations under a per-schema advisory lock: several processes of one service may start together. */
async function migrate(dataSource: DataSource, schema: string): Promise<void> {
  const t = tables(schema);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = `pipewright.event-store.migrate:${schema}`;
  try {
    await runner.query(`SELECT pg_advisory_lock(${lockKey(1)})`, [key]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(${lockKey(1)})`, [key]).catch(() => undefined);
    await runner.release();
  }
}

const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

function isConnectionFailure(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  const code = (error as { code?: string } | undefined)?.code;
  if (code && connectionErrorCodes.has(code)) return true;
  return error instanceof Error && /timeout|terminated|Connection terminated/i.test(error.message);
}
