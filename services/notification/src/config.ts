import { intEnv } from '@pipewright/service-kit';

/** How the service delivers: every limit an operator (or a test) may change, read once from the environment. */
export interface NotificationConfig {
  /** PostgreSQL schema of this service (tests give each process its own). */
  schema: string;
  /** Kafka consumer group of the execution-events consumer. */
  groupId: string;
  /** Where a consumer group with no committed offsets starts: the oldest event kept (default) or only new ones. */
  startFromBeginning: boolean;
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: number;
  /** Backoff before retry n is about backoffBaseMs·2^(n-1), jittered, at most backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Whole-call timeout of one send (connect, request, response). */
  targetTimeoutMs: number;
  /** A response body longer than this fails the attempt; the rest is never read. */
  maxResponseBytes: number;
  /** How often the delivery worker looks for due deliveries when nothing wakes it. */
  pollIntervalMs: number;
  /** Sends in flight at once, across all targets. */
  concurrency: number;
  /** Loopback, link-local and private targets are refused unless the operator allows them. */
  allowPrivateTargets: boolean;
  /** Named secrets rules refer to with secret_ref (webhook signing keys, chat tokens). */
  secrets: ReadonlyMap<string, string>;
  /** smtp://user:pass@host:port (or smtps://); email targets are refused without it. */
  smtpUrl?: string;
  smtpFrom: string;
  /** Base of the links in chat and email messages. */
  consoleUrl: string;
}

const PREFIX = 'PIPEWRIGHT_NOTIFICATION_';

function secretsFrom(raw: string | undefined): Map<string, string> {
  if (!raw) return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${PREFIX}SECRETS must be a JSON object of secret names to values`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${PREFIX}SECRETS must be a JSON object of secret names to values`);
  return new Map(Object.entries(parsed as Record<string, unknown>).map(([name, value]) => [name, String(value)]));
}

function startFrom(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'earliest') return true;
  if (raw === 'latest') return false;
  throw new Error(`${PREFIX}START_FROM must be earliest or latest, got "${raw}"`);
}

export function notificationConfig(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  const int = (name: string, fallback: number, min = 1) => {
    const value = intEnv(PREFIX + name, fallback, env);
    if (value < min) throw new Error(`${PREFIX}${name} must be at least ${min}, got ${value}`);
    return value;
  };
  return {
    schema: env[`${PREFIX}SCHEMA`] || 'notification',
    groupId: env[`${PREFIX}GROUP_ID`] || 'notification',
    startFromBeginning: startFrom(env[`${PREFIX}START_FROM`]),
    maxAttempts: int('MAX_ATTEMPTS', 8),
    backoffBaseMs: int('BACKOFF_BASE_MS', 2_000),
    backoffMaxMs: int('BACKOFF_MAX_MS', 10 * 60_000),
    targetTimeoutMs: int('TARGET_TIMEOUT_MS', 10_000),
    maxResponseBytes: int('MAX_RESPONSE_BYTES', 64 * 1024),
    pollIntervalMs: int('POLL_INTERVAL_MS', 1_000),
    concurrency: int('CONCURRENCY', 16),
    allowPrivateTargets: env[`${PREFIX}ALLOW_PRIVATE_TARGETS`] === 'true',
    secrets: secretsFrom(env[`${PREFIX}SECRETS`]),
    smtpUrl: env[`${PREFIX}SMTP_URL`] || undefined,
    smtpFrom: env[`${PREFIX}SMTP_FROM`] || 'pipewright@localhost',
    consoleUrl: (env.PIPEWRIGHT_CONSOLE_URL || 'http://localhost:8080').replace(/\/+$/, ''),
  };
}

export const NOTIFICATION_CONFIG = Symbol('NotificationConfig');
