/**
 * The orchestrator's own settings. Schema and consumer-group names can be overridden so that
 * several orchestrators (e.g. test runs sharing one broker and database) do not share work.
 */
export const orchestratorSchema = (env: NodeJS.ProcessEnv = process.env) => env.PIPEWRIGHT_ORCHESTRATOR_SCHEMA || 'orchestrator';

export const consumerGroup = (name: 'job-events' | 'execution-requests', env: NodeJS.ProcessEnv = process.env) =>
  `${env.PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX || 'orchestrator'}.${name}`;

/** How often due timers are looked for; a timer fires at most this late while the process runs. */
export const TIMER_POLL_MS = 250;
