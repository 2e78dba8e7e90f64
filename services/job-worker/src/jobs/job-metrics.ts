import { counter } from '@pipewright/telemetry';

/** A job this worker ran to its end and reported; acknowledged jobs that never reported are not counted. */
export function countJobRun(provider: string, outcome: 'Succeeded' | 'Failed'): void {
  counter('jobRuns').add(1, { provider, outcome });
}
