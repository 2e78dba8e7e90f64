import { DomainError } from '@pipewright/decider';

export class SecretNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(name: string, team: string) {
    super(`secret ${name} does not exist in team ${team}`);
  }
}

/** No usable PIPEWRIGHT_SECRETS_KEY, or a stored value that does not open with it. */
export class SecretStoreUnavailable extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}

/** Secret values go to a job's own token and nobody else, system administrators included. */
export class SecretValuesForJobsOnly extends DomainError {
  readonly code = 'PERMISSION_DENIED' as const;
  constructor(subject: string) {
    super(`${subject} may not read secret values: SecretService/ResolveJobSecrets answers only a job token, for its own job`);
  }
}
