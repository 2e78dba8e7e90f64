import { EventStoreTransaction, StreamVersionConflict } from '@pipewright/event-store';
import { pickTraceHeaders, TraceHeaders } from '@pipewright/telemetry';
import { executionDecider, ExecutionEvent, ExecutionState, LanesEvent, LanesState, pipelineLanesDecider } from '@pipewright/execution-domain';

/** One stream per execution, one per pipeline for its stage locks and transitions. */
export const executionStream = (pipelineExecutionId: string) => `execution-${pipelineExecutionId}`;
export const lanesStream = (pipelineName: string) => `pipeline-lanes-${pipelineName}`;

/** A stream as loaded: its folded state, the version it was read at, and what this unit adds. */
export interface LoadedStream<S, E> {
  state: S;
  version: number;
  pending: E[];
  /** The trace the stream belongs to: the context its first event was written in (see docs/operations.md, Tracing). */
  trace?: TraceHeaders;
  /** The context of the span that decided what this unit adds, stored as the added events' metadata. */
  writer?: TraceHeaders;
  /** False when the state is the cache's, not read from the store: the commit checks its version then. */
  read: boolean;
}

type Reader = Pick<EventStoreTransaction, 'readStream'>;

interface Folded<S> {
  state: S;
  version: number;
  trace?: TraceHeaders;
}

/**
 * Streams as folded at a committed version. Streams only grow, so a cached fold stays a true prefix:
 * a load reads just the events after it (another instance's appends included) and folds them on top,
 * which keeps a long execution's every request from re-reading its whole history. Least recently
 * used entries go first.
 */
export class FoldCache {
  private readonly entries = new Map<string, Folded<unknown>>();

  constructor(private readonly capacity = 5_000) {}

  get<S>(streamId: string): Folded<S> | undefined {
    const entry = this.entries.get(streamId);
    if (entry) {
      this.entries.delete(streamId);
      this.entries.set(streamId, entry);
    }
    return entry as Folded<S> | undefined;
  }

  /** Forgets a stream whose fold turned out stale (another writer appended to it). */
  delete(streamId: string): void {
    this.entries.delete(streamId);
  }

  /** Only for what is committed: a fold of events a rolled-back transaction wrote would be a lie. */
  set<S>(streamId: string, folded: Folded<S>): void {
    const known = this.entries.get(streamId);
    if (known && known.version >= folded.version) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, folded);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * How a load uses the cache: `read-after` reads the events after the cached version (queries);
 * `trust` takes the cached fold as it is, without a read (the engine, which checks every such
 * stream's version when it commits, and forgets the fold and decides again when it was stale).
 */
export type CacheUse = 'read-after' | 'trust';

async function load<S, E>(reader: Reader, streamId: string, evolve: (state: S, event: E) => S, initial: () => S, cache?: FoldCache, use: CacheUse = 'read-after'): Promise<LoadedStream<S, E>> {
  const cached = cache?.get<S>(streamId);
  if (cached && use === 'trust') return { state: cached.state, version: cached.version, pending: [], trace: cached.trace, read: false };
  const recorded = await reader.readStream(streamId, cached ? { fromVersion: cached.version + 1 } : undefined);
  const events = recorded.map((r) => ({ type: r.type, data: r.data }) as E);
  return {
    state: events.reduce(evolve, cached ? cached.state : initial()),
    version: recorded.at(-1)?.streamVersion ?? cached?.version ?? 0,
    pending: [],
    trace: cached ? cached.trace : pickTraceHeaders(recorded[0]?.metadata),
    read: true,
  };
}

export function loadExecution(reader: Reader, pipelineExecutionId: string, cache?: FoldCache, use?: CacheUse): Promise<LoadedStream<ExecutionState, ExecutionEvent>> {
  return load(reader, executionStream(pipelineExecutionId), executionDecider.evolve, executionDecider.initialState, cache, use);
}

export function loadLanes(reader: Reader, pipelineName: string, cache?: FoldCache, use?: CacheUse): Promise<LoadedStream<LanesState, LanesEvent>> {
  return load(reader, lanesStream(pipelineName), pipelineLanesDecider.evolve, pipelineLanesDecider.initialState, cache, use);
}

/**
 * For a stream a unit decided on from the cache and appends nothing to: that nobody appended to it
 * since (an append checks its own expected version). Throws the conflict the engine retries on.
 */
export async function checkUnread(reader: Reader, streamId: string, loaded: LoadedStream<unknown, unknown>): Promise<void> {
  if (loaded.read || loaded.pending.length > 0) return;
  const newer = await reader.readStream(streamId, { fromVersion: loaded.version + 1 });
  if (newer.length > 0) throw new StreamVersionConflict(streamId, loaded.version, newer[newer.length - 1].streamVersion, `stream ${streamId} moved on from the cached version ${loaded.version}`);
}

async function read<E>(reader: Reader, streamId: string): Promise<{ events: E[] }> {
  const recorded = await reader.readStream(streamId);
  return { events: recorded.map((r) => ({ type: r.type, data: r.data }) as E) };
}

/** The events of an execution as stored, for tests and rebuilding read models. */
export async function executionEvents(reader: Reader, pipelineExecutionId: string): Promise<ExecutionEvent[]> {
  return (await read<ExecutionEvent>(reader, executionStream(pipelineExecutionId))).events;
}
