import { DomainError } from '@pipewright/decider';

/** Named refusals of the execution stream; the gRPC edge maps `code` to a status. */
export class PipelineExecutionNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}
export class StageNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}
export class ActionNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}
export class JobNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}
/** The job belongs to an attempt that has since been replaced by a newer one. */
export class StaleJobAttempt extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
export class JobNonceMismatch extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
/** The current attempt already ended another way (timed out, abandoned, the other result). */
export class JobAlreadyFinished extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
export class InvalidJobResult extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
export class UnknownPipelineVariable extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
export class PipelineVariableMissing extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
export class ApprovalTokenMismatch extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
export class ApprovalAlreadyCompleted extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
export class StageNotFailed extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
/** CodePipeline's NotLatestPipelineExecutionException: a later execution ran the stage since. */
export class NotLatestPipelineExecution extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
export class ExecutionAlreadyFinished extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
/** CodePipeline's DuplicatedStopRequestException: stop-and-wait asked twice. */
export class DuplicatedStopRequest extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
/** CodePipeline's UnableToRollbackStageException. */
export class UnableToRollbackStage extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}
