import { untraced } from '@pipewright/telemetry';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import type { HealthRegistry } from './health';

/** One dependency's check: resolves when it answers, rejects (or outlasts the timeout) when it does not. */
export interface DependencyCheck {
  /** The name it has in the health registry, e.g. 'postgres'. */
  name: string;
  check(timeoutMs: number): Promise<void>;
}

export interface ReadinessOptions {
  /** Between the end of one round of checks and the next. */
  intervalMs: number;
  /** How long one check may take before it counts as failed. */
  timeoutMs: number;
  /** Failed checks in a row that make a dependency NOT_SERVING (one slow answer on a busy host is not an outage); one success restores it. */
  failureThreshold: number;
  logger?: { log(message: string): void; warn(message: string): void };
}

/**
 * Keeps the dependencies' health current after start: every interval each is checked with a fresh
 * connection and a short timeout; `failureThreshold` failures in a row make it NOT_SERVING, one
 * success SERVING again. Liveness is not touched: a process waiting for its database is alive, only
 * not ready.
 */
export class ReadinessProbe {
  private timer?: NodeJS.Timeout;
  private readonly failures = new Map<string, number>();
  private round?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly health: HealthRegistry,
    private readonly checks: DependencyCheck[],
    private readonly options: ReadinessOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  /** One round: every dependency checked at once. */
  async checkAll(): Promise<void> {
    await Promise.all(this.checks.map((dependency) => this.checkOne(dependency)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.checkAll().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async checkOne(dependency: DependencyCheck): Promise<void> {
    const before = this.health.get(dependency.name);
    let error: unknown;
    try {
      // Probes are not traced: they would make a trace every few seconds.
      await untraced(() => withTimeout(dependency.check(this.options.timeoutMs), this.options.timeoutMs, dependency.name));
    } catch (caught) {
      error = caught;
    }
    if (this.stopped) return;
    const failures = error === undefined ? 0 : (this.failures.get(dependency.name) ?? 0) + 1;
    this.failures.set(dependency.name, failures);
    if (failures > 0 && failures < this.options.failureThreshold) return;
    const now = failures === 0 ? 'SERVING' : 'NOT_SERVING';
    this.health.set(dependency.name, now);
    if (before === now) return;
    if (now === 'SERVING') this.options.logger?.log(`${dependency.name} reachable again: ready`);
    else this.options.logger?.warn(`${dependency.name} unreachable: not ready (${error instanceof Error ? error.message : String(error)})`);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** PostgreSQL answers `SELECT 1` on a new connection (the pool's may be fine while new ones fail, or the reverse). */
export function postgresCheck(url: string): DependencyCheck {
  return {
    name: 'postgres',
    async check(timeoutMs) {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'pipewright-readiness' });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

/** A bootstrap broker accepts a connection and answers a metadata request (describeCluster). */
export function kafkaCheck(brokers: string[]): DependencyCheck {
  return {
    name: 'kafka',
    async check(timeoutMs) {
      const kafka = new Kafka({ clientId: 'pipewright-readiness', brokers, connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
