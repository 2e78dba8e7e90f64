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

/** RecordOperationResult is for the services that served the call, proven by their own token. */
export class ResultReporterNotAService extends DomainError {
  readonly code = 'PERMISSION_DENIED' as const;
  constructor() {
    super(`only a Pipewright service, proven by its own token (pipewright-service-authorization), may report an operation's result`);
  }
}

export class AuditEntryNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(position: number) {
    super(`no allowed audit entry at position ${position}`);
  }
}

/** The first report of an entry's result counts: a second one would rewrite the record. */
export class AuditResultAlreadyRecorded extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
  constructor(position: number) {
    super(`the audit entry at position ${position} already has its result`);
  }
}
