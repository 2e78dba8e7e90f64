import { DomainError } from '@pipewright/decider';

export class TeamAlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
  constructor(team: string) {
    super(`team ${team} already exists`);
  }
}

export class TeamNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(team: string) {
    super(`team ${team} does not exist`);
  }
}

export class ApiTokenNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(tokenId: string, team: string) {
    super(`API token ${tokenId} was not issued in team ${team}`);
  }
}

/** A team admin issues tokens only for subjects bound in its team alone: anything else would lend it their other access. */
export class ApiTokenSubjectOutsideTeam extends DomainError {
  readonly code = 'PERMISSION_DENIED' as const;
  constructor(subject: string, team: string) {
    super(`${subject} has role bindings outside team ${team}; only a system administrator may issue its API tokens`);
  }
}
