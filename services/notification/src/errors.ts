import { InvalidRequest } from '@pipewright/decider';

/** Paging: 100 by default, 1..1000 when given. */
export function pageSize(maxResults: number | null | undefined): number {
  if (maxResults === null || maxResults === undefined || maxResults === 0) return 100;
  if (maxResults < 1 || maxResults > 1000) throw InvalidRequest.at('max_results', 'max_results must be between 1 and 1000');
  return maxResults;
}
