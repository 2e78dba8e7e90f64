/** JobService's timing; each can be set in the environment (tests shorten them). */
const intEnv = (name: string, fallback: number, env: NodeJS.ProcessEnv) => {
  const value = Number(env[name]);
  return Number.isInteger(value) && value >= 0 && env[name] !== '' && env[name] !== undefined ? value : fallback;
};

export interface JobsConfig {
  /** How long PollForJobs holds a call open when no job is waiting (CodePipeline answers within about 20 s). */
  pollWaitMs: number;
  /** How long a polled job stays with its poller before another may take it, if it is not acknowledged. */
  claimLeaseSeconds: number;
  /** A waiting poll looks again this often besides being woken by a dispatch (other instances, expired leases). */
  recheckMs: number;
}

export function jobsConfig(env: NodeJS.ProcessEnv = process.env): JobsConfig {
  return {
    pollWaitMs: intEnv('PIPEWRIGHT_POLL_FOR_JOBS_WAIT_MS', 20_000, env),
    claimLeaseSeconds: intEnv('PIPEWRIGHT_JOB_CLAIM_LEASE_SECONDS', 120, env),
    recheckMs: 1_000,
  };
}
