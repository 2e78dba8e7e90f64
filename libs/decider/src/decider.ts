/**
 * The shape of every piece of domain logic in Pipewright (event-driven-io/emmett's decider):
 * a pure `decide` that turns a command and the current state into events, a pure `evolve`
 * that folds one event into the state, and the state before any event.
 * No I/O, clock or randomness: time and ids arrive inside the command.
 */
export interface Event<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

export interface Command<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

export interface Decider<C, E, S> {
  decide(command: C, state: S): E | E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** State is always the fold of the events; snapshots are only a cache of this. */
export function fold<E, S>(decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>, events: readonly E[]): S {
  return events.reduce(decider.evolve, decider.initialState());
}

export function asArray<E>(events: E | E[]): E[] {
  return Array.isArray(events) ? events : [events];
}

/** Base for named domain errors, mapped once to gRPC codes at the edge. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
  }
}

/** A validation problem as every INVALID_ARGUMENT carries it: where, and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/** A request refused as malformed: every problem at once, each with the path of what it is about. */
export class InvalidRequest extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(readonly problems: Problem[]) {
    super('invalid request', { problems });
  }

  /** One problem: `InvalidRequest.at('metadata', 'the first message must carry the metadata')`. */
  static at(path: string, message: string): InvalidRequest {
    return new InvalidRequest([{ path, message }]);
  }
}

/**
 * A List call's page size: 100 when `max_results` is unset (0), else 1..`max`. The largest page is
 * CodePipeline's for the same call (ListPipelines 1000, ListPipelineExecutions 100, ListWebhooks 100).
 */
export function pageSize(maxResults: number | null | undefined, max = 1000): number {
  if (!maxResults) return Math.min(100, max);
  if (maxResults < 1 || maxResults > max) throw InvalidRequest.at('max_results', `max_results must be between 1 and ${max}`);
  return maxResults;
}

/** The kinds of refusal the domain speaks of; the gRPC edge maps each to a status code. */
export type DomainErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'ABORTED' | 'ALREADY_EXISTS' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'DATA_LOSS';
