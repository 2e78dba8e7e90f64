import { intEnv } from '@pipewright/service-kit';

export interface RetentionConfig {
  /** Artifacts created longer ago than this are deleted; undefined: no age limit. */
  maxAgeMillis?: number;
  /** Per pipeline, only the artifacts of the newest N executions are kept; undefined: no limit. */
  keepExecutions?: number;
  /** How often a pass runs; undefined: no pass at all (retention and blob collection off). */
  intervalMillis?: number;
  /** Blobs stored more recently than this are never collected: their upload may not have recorded its metadata yet. */
  graceMillis: number;
}

const DAY_MILLIS = 24 * 3600_000;
const DEFAULT_INTERVAL_MILLIS = 3600_000;
const DEFAULT_GRACE_MILLIS = 3600_000;

function positiveNumber(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveInteger(name: string, env: NodeJS.ProcessEnv): number | undefined {
  if (env[name] === undefined || env[name] === '') return undefined;
  const value = intEnv(name, 0, env);
  if (value < 1) throw new Error(`environment variable ${name} must be at least 1, got "${env[name]}"`);
  return value;
}

/**
 * PIPEWRIGHT_ARTIFACT_RETENTION_DAYS (may be fractional), PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS,
 * PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS, PIPEWRIGHT_ARTIFACT_GC_GRACE_MS. All off by default; setting a
 * limit turns the periodic pass on (hourly unless the interval says otherwise), and setting only the
 * interval collects the blobs of deleted artifacts without any retention limit.
 */
export function artifactRetentionConfig(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  const days = positiveNumber('PIPEWRIGHT_ARTIFACT_RETENTION_DAYS', env);
  const keepExecutions = positiveInteger('PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS', env);
  const interval = positiveInteger('PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS', env);
  const grace = env.PIPEWRIGHT_ARTIFACT_GC_GRACE_MS ? intEnv('PIPEWRIGHT_ARTIFACT_GC_GRACE_MS', 0, env) : DEFAULT_GRACE_MILLIS;
  if (grace < 0) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_GC_GRACE_MS must not be negative');
  const limited = days !== undefined || keepExecutions !== undefined;
  return {
    maxAgeMillis: days === undefined ? undefined : Math.round(days * DAY_MILLIS),
    keepExecutions,
    intervalMillis: interval ?? (limited ? DEFAULT_INTERVAL_MILLIS : undefined),
    graceMillis: grace,
  };
}
