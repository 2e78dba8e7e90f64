/**
 * The orchestrator's own settings. Schema and consumer-group names can be overridden so that
 * several orchestrators (e.g. test runs sharing one broker and database) do not share work.
 */
export const orchestratorSchema = (env: NodeJS.ProcessEnv = process.env) => env.PIPEWRIGHT_ORCHESTRATOR_SCHEMA || 'orchestrator';

export const consumerGroup = (name: 'job-events' | 'execution-requests', env: NodeJS.ProcessEnv = process.env) =>
  `${env.PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX || 'orchestrator'}.${name}`;

/**
 * How often the orchestrator looks for what no commit of its own announced: timers another
 * instance scheduled (and did not live to fire), events another instance appended.
 */
export const UNANNOUNCED_POLL_MS = 5_000;

/**
 * How long a job worker that has sent a heartbeat may stay silent before its attempt fails (and its
 * retryPolicy, if any, dispatches a new one). Recorded in each execution when it starts.
 */
export const jobHeartbeatTimeoutSeconds = (env: NodeJS.ProcessEnv = process.env): number | undefined => {
  const raw = env.PIPEWRIGHT_JOB_HEARTBEAT_TIMEOUT_SECONDS;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`PIPEWRIGHT_JOB_HEARTBEAT_TIMEOUT_SECONDS must be a positive integer, got "${raw}"`);
  return seconds;
};
