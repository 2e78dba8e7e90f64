import { DomainError } from '@pipewright/decider';
import { Problem } from '@pipewright/service-kit';

/** Every problem of a request at once, each with its path. */
export class InvalidRequest extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(readonly problems: Problem[]) {
    super(`the request has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { problems });
  }

  static at(path: string, message: string): InvalidRequest {
    return new InvalidRequest([{ path, message }]);
  }
}

/** Paging: 100 by default, 1..1000 when given. */
export function pageSize(maxResults: number | null | undefined): number {
  if (maxResults === null || maxResults === undefined || maxResults === 0) return 100;
  if (maxResults < 1 || maxResults > 1000) throw InvalidRequest.at('max_results', 'max_results must be between 1 and 1000');
  return maxResults;
}
