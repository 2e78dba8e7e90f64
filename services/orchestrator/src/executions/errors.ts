import { DomainError } from '@pipewright/decider';

export class InvalidRequest extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(path: string, message: string) {
    super('invalid request', { problems: [{ path, message }] });
  }
}
