import { DomainError } from '@pipewright/decider';

/**
 * JobService's refusals under CodePipeline's exception names (docs/contracts.md: the error's name
 * travels as `pipewright-error-code`), so a worker written against CodePipeline reads them as it would there.
 */
export class JobNotFoundException extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

/** AcknowledgeJob (or a result) with a nonce other than the one the job was issued with. */
export class InvalidNonceException extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

/** A result for a job that has already ended (succeeded, failed, timed out, abandoned, replaced by a retry). */
export class InvalidJobStateException extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
