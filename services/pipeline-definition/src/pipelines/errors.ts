import { DomainError } from '@pipewright/decider';
import { Problem } from '@pipewright/service-kit';

/** Every problem of a rejected declaration, each with its JSON path. */
export class InvalidPipelineDeclaration extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(readonly problems: Problem[]) {
    super(`the pipeline declaration has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { problems });
  }
}
