import { hostname } from 'node:os';
import { join } from 'node:path';
import { intEnv, workspaceRoot } from '@pipewright/service-kit';
import picomatch from 'picomatch';

export interface WorkerConfig {
  /** Consumer group on the job-requests topic: every worker of one group shares the jobs. */
  groupId: string;
  /** PostgreSQL schema of the worker's record of handled jobs. */
  schema: string;
  workerId: string;
  concurrency: number;
  heartbeatMs: number;
  workspaceRoot: string;
  logRoot: string;
  /** How long SIGTERM lets running jobs finish before they fail with 'worker shutting down'. */
  drainMs: number;
  /** The longest any job may run on this worker, whatever its own timeout (undefined: no cap). */
  maxTimeoutMs?: number;
  /** Pipelines whose jobs this worker takes (a glob; dedicated worker pools). */
  takesPipeline: (pipelineName: string) => boolean;
}

function positive(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const value = intEnv(name, fallback, env);
  if (value < 1) throw new Error(`environment variable ${name} must be a positive integer, got ${value}`);
  return value;
}

/** The worker's settings; a bad value stops the process at start, not at the first job. */
export function workerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const dataRoot = join(workspaceRoot, '.data');
  const maxTimeoutMs = env.PIPEWRIGHT_JOB_MAX_TIMEOUT_MS ? positive('PIPEWRIGHT_JOB_MAX_TIMEOUT_MS', 1, env) : undefined;
  const pattern = env.PIPEWRIGHT_JOB_WORKER_PIPELINES || '*';
  const matcher = picomatch(pattern, { dot: true });
  return {
    groupId: env.PIPEWRIGHT_JOB_WORKER_GROUP || 'pipewright-job-worker',
    schema: env.PIPEWRIGHT_JOB_WORKER_SCHEMA || 'job_worker',
    workerId: env.PIPEWRIGHT_WORKER_ID || `${hostname()}-${process.pid}`,
    concurrency: positive('PIPEWRIGHT_JOB_CONCURRENCY', 2, env),
    heartbeatMs: positive('PIPEWRIGHT_JOB_HEARTBEAT_MS', 10_000, env),
    workspaceRoot: env.PIPEWRIGHT_WORKSPACE_ROOT || join(dataRoot, 'workspaces'),
    logRoot: env.PIPEWRIGHT_JOB_LOG_ROOT || join(dataRoot, 'job-logs'),
    drainMs: intEnv('PIPEWRIGHT_JOB_DRAIN_MS', 20_000, env),
    maxTimeoutMs,
    takesPipeline: (name) => matcher(name),
  };
}

export const WORKER_CONFIG = Symbol('WorkerConfig');
