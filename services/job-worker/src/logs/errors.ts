import { DomainError } from '@pipewright/decider';

export class JobLogNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(jobId: string) {
    super(`no log for job ${jobId} on this worker`, { jobId });
  }
}
