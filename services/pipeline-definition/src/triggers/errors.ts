import { DomainError } from '@pipewright/decider';
import { Problem } from '@pipewright/service-kit';

export class InvalidWebhookPayload extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

/** Every problem of a rejected PutWebhook, each with its path. */
export class InvalidWebhookDefinition extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(readonly problems: Problem[]) {
    super(`the webhook definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { problems });
  }
}
