import { Injectable, Logger } from '@nestjs/common';
import { context, type Context } from '@opentelemetry/api';
import { asArray, DomainError } from '@pipewright/decider';
import { EventMetadata, EventStoreTransaction, isDeadlock, NewOutboxMessage, StreamVersionConflict } from '@pipewright/event-store';
import {
  executionCommandsFor,
  ExecutionCommand,
  executionDecider,
  ExecutionEvent,
  ExecutionState,
  LanesCommand,
  LanesEvent,
  JobRequest,
  LanesState,
  outputsOf,
  pipelineLanesDecider,
  StartedExecution,
} from '@pipewright/execution-domain';
import { securityConfig, signJobToken } from '@pipewright/security';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { continuing, inSpan, PipewrightAttributes, traceHeadersOf } from '@pipewright/telemetry';
import { ExecutionTables, ScheduledTimer } from './execution-tables';
import { jobCancelled, jobRequested, stateChanged } from './published';
import { checkUnread, executionStream, FoldCache, lanesStream, loadExecution, loadLanes, LoadedStream } from './streams';

/** A command, or how to make it from what the unit has loaded (a job's nonce, the stage's latest execution). */
export type CommandSource = ExecutionCommand | ((unit: Unit, state: ExecutionState) => ExecutionCommand | Promise<ExecutionCommand>);

export type Work =
  | { kind: 'execution'; pipelineExecutionId: string; command: CommandSource }
  | { kind: 'lanes'; pipelineName: string; command: LanesCommand };

/** Commands one request may cause across streams; far above any real cascade, it stops a bug from looping. */
const MAX_STEPS = 10_000;
const MAX_CONFLICT_RETRIES = 20;

/**
 * One transaction's worth of decisions: streams are loaded once, every command is decided on the
 * state so far, and what the events cause (lane commands, the lanes' grants back to executions)
 * is decided in the same unit until nothing is left.
 */
export class Unit {
  readonly executions = new Map<string, LoadedStream<ExecutionState, ExecutionEvent>>();
  readonly lanes = new Map<string, LoadedStream<LanesState, LanesEvent>>();
  readonly outbox: NewOutboxMessage[] = [];
  readonly timers: ScheduledTimer[] = [];
  /** The jobs this unit dispatched, each with its JobRequested outbox message. */
  readonly dispatched: { job: JobRequest; requested: NewOutboxMessage }[] = [];
  /** What caused the work being decided: recorded as the metadata of the events it adds. */
  cause: Cause = {};
  private readonly lockedLanes = new Set<string>();
  private readonly causes = new WeakMap<object, EventMetadata>();

  constructor(
    readonly tx: EventStoreTransaction,
    private readonly cache?: FoldCache,
    private readonly jobToken: (job: JobRequest, now: string) => string = () => '',
  ) {}

  /** After the commit: every stream this unit holds is now committed at its new version. */
  committed(): void {
    if (!this.cache) return;
    for (const [id, loaded] of this.executions) this.cache.set(executionStream(id), { state: loaded.state, version: loaded.version + loaded.pending.length, trace: loaded.trace });
    for (const [name, loaded] of this.lanes) this.cache.set(lanesStream(name), { state: loaded.state, version: loaded.version + loaded.pending.length });
  }

  /** The events a stream adds, each with the metadata of the work that decided it. */
  withCauses<E extends object>(pending: readonly E[]): (E & { metadata?: EventMetadata })[] {
    return pending.map((event) => ({ ...event, metadata: this.causes.get(event) }));
  }

  /**
   * Runs one work of several sharing the transaction: when the domain refuses it, what it had
   * decided so far is taken back, so the other works' decisions still commit.
   */
  async attempt(work: Work, cause: Cause): Promise<DomainError | undefined> {
    const mark = this.mark();
    this.cause = cause;
    try {
      await this.run(work);
      return undefined;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      mark();
      return error;
    }
  }

  private mark(): () => void {
    const streams = [...this.executions.values(), ...this.lanes.values()].map((loaded) => ({ loaded, state: loaded.state, pending: loaded.pending.length }));
    const known = { executions: new Set(this.executions.keys()), lanes: new Set(this.lanes.keys()) };
    const sizes = { outbox: this.outbox.length, timers: this.timers.length, dispatched: this.dispatched.length };
    return () => {
      for (const { loaded, state, pending } of streams) {
        (loaded as LoadedStream<unknown, unknown>).state = state;
        loaded.pending.length = pending;
      }
      // Streams first loaded by the refused work hold nothing else's decisions: read them afresh if needed.
      for (const id of [...this.executions.keys()]) if (!known.executions.has(id)) this.executions.delete(id);
      for (const name of [...this.lanes.keys()]) if (!known.lanes.has(name)) this.lanes.delete(name);
      this.outbox.length = sizes.outbox;
      this.timers.length = sizes.timers;
      this.dispatched.length = sizes.dispatched;
    };
  }

  private record(events: readonly object[], correlationId: string | undefined): void {
    const metadata: EventMetadata = { correlationId: correlationId ?? this.cause.correlationId, causationId: this.cause.causationId, actor: this.cause.actor };
    for (const event of events) this.causes.set(event, metadata);
  }

  async execution(id: string): Promise<LoadedStream<ExecutionState, ExecutionEvent>> {
    let loaded = this.executions.get(id);
    if (!loaded) this.executions.set(id, (loaded = await loadExecution(this.tx, id, this.cache, 'trust')));
    return loaded;
  }

  /**
   * Takes the lanes streams' locks (see lanesOf); before the transaction's first write when the
   * works' pipelines are known up front.
   */
  async lockLanes(pipelineNames: readonly string[]): Promise<void> {
    const names = pipelineNames.filter((name) => !this.lockedLanes.has(name));
    await this.tx.lockStreams(names.map(lanesStream));
    for (const name of names) this.lockedLanes.add(name);
  }

  /**
   * Every execution of a pipeline passes its lanes stream at each stage, so the stream's writers
   * take turns on its lock and read it fresh after it, instead of racing and redoing whole batches.
   */
  async lanesOf(pipelineName: string): Promise<LoadedStream<LanesState, LanesEvent>> {
    let loaded = this.lanes.get(pipelineName);
    if (!loaded) {
      await this.lockLanes([pipelineName]);
      this.lanes.set(pipelineName, (loaded = await loadLanes(this.tx, pipelineName, this.cache, 'read-after')));
    }
    return loaded;
  }

  async run(first: Work): Promise<void> {
    // Each work is decided in the trace context of the decision that caused it (see decideExecution).
    const queue: Caused[] = [{ work: first, from: context.active() }];
    for (let steps = 0; queue.length > 0; steps++) {
      if (steps >= MAX_STEPS) throw new Error(`more than ${MAX_STEPS} commands caused by one request`);
      const { work, from } = queue.shift()!;
      const caused = await context.with(from, () =>
        work.kind === 'execution' ? this.decideExecution(work.pipelineExecutionId, work.command) : this.decideLanes(work.pipelineName, work.command),
      );
      queue.push(...caused);
    }
  }

  /**
   * Decided in a span of the execution's own trace (the one its first event recorded), so whatever
   * caused this command (a job event, a timer, an approval call from another trace) the jobs and
   * state changes it publishes stay in the execution's trace.
   */
  private async decideExecution(id: string, source: CommandSource): Promise<Caused[]> {
    const loaded = await this.execution(id);
    const command = typeof source === 'function' ? await source(this, loaded.state) : source;
    const { parent, links } = continuing(loaded.trace);
    const attributes = { [PipewrightAttributes.executionId]: id, [PipewrightAttributes.command]: command.type };
    return inSpan(`execution ${command.type}`, { parent, links, attributes }, async (span) => {
      const next = this.decided(loaded, command);
      if (loaded.state.status !== 'NotStarted') span.setAttribute(PipewrightAttributes.pipeline, loaded.state.pipelineName);
      loaded.writer = traceHeadersOf();
      if (loaded.version === 0) loaded.trace ??= loaded.writer;
      return next.map((work) => ({ work, from: context.active() }));
    });
  }

  private decided(loaded: LoadedStream<ExecutionState, ExecutionEvent>, command: ExecutionCommand): Work[] {
    const events = asArray(executionDecider.decide(command, loaded.state));
    const outputs = outputsOf(loaded.state, events);
    loaded.state = events.reduce(executionDecider.evolve, loaded.state);
    loaded.pending.push(...events);
    const next: Work[] = [];
    const s = loaded.state;
    this.record(events, s.status === 'NotStarted' ? undefined : s.pipelineExecutionId);
    if (s.status === 'NotStarted') return next;
    for (const output of outputs) {
      switch (output.type) {
        case 'DispatchJob': {
          const requested = jobRequested(output.job, s.lastUpdateTime, this.jobToken(output.job, s.lastUpdateTime));
          this.outbox.push(requested);
          this.dispatched.push({ job: output.job, requested });
          break;
        }
        case 'CancelJob':
          this.outbox.push(jobCancelled(s, output.jobId, output.reason, s.lastUpdateTime));
          break;
        case 'PublishStateChange':
          this.outbox.push(...stateChanged(output.change, s));
          break;
        case 'ScheduleTimer':
          this.timers.push(output);
          break;
        case 'SendToLanes':
          next.push({ kind: 'lanes', pipelineName: output.pipelineName, command: output.command });
          break;
      }
    }
    return next;
  }

  private async decideLanes(pipelineName: string, command: LanesCommand): Promise<Caused[]> {
    const loaded = await this.lanesOf(pipelineName);
    const events = asArray(pipelineLanesDecider.decide(command, loaded.state));
    loaded.state = events.reduce(pipelineLanesDecider.evolve, loaded.state);
    loaded.pending.push(...events);
    this.record(events, undefined);
    return events.flatMap(executionCommandsFor).map(({ pipelineExecutionId, command }) => ({ work: { kind: 'execution' as const, pipelineExecutionId, command }, from: context.active() }));
  }
}

/** A work and the trace context of the decision that caused it. */
interface Caused {
  work: Work;
  from: Context;
}

/** The trace context stored with appended events: a new stream's first events name the trace it belongs to. */
function metadataOf(loaded: LoadedStream<ExecutionState, ExecutionEvent>) {
  const trace = loaded.version === 0 ? loaded.trace : loaded.writer;
  return trace ? { metadata: trace } : undefined;
}

/** Runs in a unit's transaction after its appends, for tables kept beside the log (e.g. the custom workers' job queue). */
export type CommitHook = (unit: Unit) => Promise<void>;
/** Told of a unit once its transaction committed; must not throw. */
export type CommittedListener = (unit: Unit) => void;

export interface RunOptions {
  /** Runs first in the transaction; false skips the work (a duplicate message, a timer already taken). */
  before?: (tx: EventStoreTransaction) => Promise<boolean>;
  /** Who and what caused the work; the execution's events are correlated by its id. */
  cause?: Cause;
  /**
   * The pipeline the work belongs to, when known: its lanes stream is locked before anything is
   * written (see Unit.lanesOf), so the work never loses its lanes append to an earlier writer.
   */
  pipelineName?: string;
}

/** Event metadata of a work: the message, call or timer that caused it (causationId) and who (actor). */
export interface Cause {
  causationId?: string;
  actor?: string;
  /** Defaults to the execution the events belong to. */
  correlationId?: string;
}

/** One of several works decided in one transaction (runAll); a refused one is reported, not thrown. */
export interface BatchItem extends RunOptions {
  work: Work;
  /** The message the work comes from: recorded as processed by its consumer, and skipped if it was (one statement per batch). */
  message?: { consumer: string; id: string };
  refused?: (error: DomainError) => void;
  /** The trace context of the message the work comes from: its decision continues that trace. */
  traceContext?: Context;
}

/**
 * The execution adapter: load, decide, and append every stream the unit changed with the version
 * it was read at, in one transaction with the outbox messages, timers and read model. A concurrent
 * append to any of those streams rolls all of it back; the work is then decided again on fresh state.
 */
@Injectable()
export class ExecutionEngine {
  private readonly logger = new Logger('execution-engine');
  private readonly hooks: CommitHook[] = [];
  private readonly committedListeners: CommittedListener[] = [];
  /** Folds of streams as committed, shared by every unit and read of this process. */
  readonly cache = new FoldCache();

  /** Mints each dispatched job's token when a job token secret is configured (docs/security.md "Job tokens"). */
  private readonly jobToken = jobTokenMinter(securityConfig().jobTokenSecret);

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly tables: ExecutionTables,
  ) {}

  /** A hook that writes in the unit's transaction, after its events. */
  onCommit(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  /** A listener told after each commit: followers of the log and of the timers look at once instead of polling. */
  afterCommit(listener: CommittedListener): void {
    this.committedListeners.push(listener);
  }

  async run(work: Work, options: RunOptions = {}): Promise<Unit | undefined> {
    const store = await this.infrastructure.store();
    for (let attempt = 1; ; attempt++) {
      try {
        const done = await store.transaction(async (tx) => {
          const unit = new Unit(tx, this.cache, this.jobToken);
          if (options.pipelineName) await unit.lockLanes([options.pipelineName]);
          if (options.before && !(await options.before(tx))) return undefined;
          unit.cause = options.cause ?? {};
          await unit.run(work);
          await this.commit(unit);
          return unit;
        });
        if (done) this.committed(done);
        return done;
      } catch (error) {
        if (!retryable(error) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.forgetStale(error, attempt);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Several works in one transaction (a fetched run of job events): streams are loaded once and
   * the commit, the outbox notify and the offset commit are paid once for all of them. A work the
   * domain refuses is taken back alone and reported to its `refused`; any other error rolls back all.
   */
  async runAll(items: readonly BatchItem[]): Promise<void> {
    if (items.length === 0) return;
    const store = await this.infrastructure.store();
    for (let attempt = 1; ; attempt++) {
      const refusals: (() => void)[] = [];
      try {
        const unit = await store.transaction(async (tx) => {
          const unit = new Unit(tx, this.cache, this.jobToken);
          await unit.lockLanes(items.flatMap((item) => (item.pipelineName ? [item.pipelineName] : [])));
          const fresh = await newMessages(tx, items);
          for (const item of items) {
            if (item.message && !fresh.delete(`${item.message.consumer}\u0000${item.message.id}`)) continue;
            if (item.before && !(await item.before(tx))) continue;
            const refusal = await context.with(item.traceContext ?? context.active(), () => unit.attempt(item.work, item.cause ?? {}));
            if (refusal && item.refused) refusals.push(() => item.refused!(refusal));
          }
          await this.commit(unit);
          return unit;
        });
        this.committed(unit);
        for (const report of refusals) report();
        return;
      } catch (error) {
        if (!retryable(error) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.forgetStale(error, attempt);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  private committed(unit: Unit): void {
    unit.committed();
    for (const listener of this.committedListeners) listener(unit);
  }

  /** Another writer moved a stream on: its cached fold is stale, the next try reads it. */
  private forgetStale(error: unknown, attempt: number): void {
    if (error instanceof StreamVersionConflict) this.cache.delete(error.stream);
    this.logger.debug?.(`${error instanceof StreamVersionConflict ? `conflict on ${error.stream}` : 'deadlock'}, deciding again (attempt ${attempt})`);
  }

  private async commit(unit: Unit): Promise<void> {
    const { tx } = unit;
    // Streams decided on from the cache alone must still be where the cache says.
    for (const [id, loaded] of unit.executions) await checkUnread(tx, executionStream(id), loaded);
    for (const [name, loaded] of unit.lanes) await checkUnread(tx, lanesStream(name), loaded);
    const changed: StartedExecution[] = [];
    for (const [id, loaded] of unit.executions) {
      if (loaded.pending.length === 0) continue;
      await tx.append(executionStream(id), loaded.version, unit.withCauses(loaded.pending), metadataOf(loaded));
      if (loaded.state.status !== 'NotStarted') changed.push(loaded.state);
    }
    await this.tables.project(tx.query, changed);
    for (const [name, loaded] of unit.lanes) {
      if (loaded.pending.length > 0) await tx.append(lanesStream(name), loaded.version, unit.withCauses(loaded.pending));
    }
    await tx.enqueueOutbox(unit.outbox);
    await this.tables.schedule(tx.query, unit.timers);
    for (const hook of this.hooks) await hook(unit);
  }
}

/** A transaction that wrote nothing and may be decided again: a version conflict, or PostgreSQL breaking a lock cycle. */
const retryable = (error: unknown) => error instanceof StreamVersionConflict || isDeadlock(error);

/** The batch's messages no consumer has handled yet, as `consumer\0id` keys (deleted as they are taken, so a duplicate within the batch runs once). */
async function newMessages(tx: EventStoreTransaction, items: readonly BatchItem[]): Promise<Set<string>> {
  const byConsumer = new Map<string, string[]>();
  for (const { message } of items) {
    if (!message) continue;
    const ids = byConsumer.get(message.consumer) ?? [];
    ids.push(message.id);
    byConsumer.set(message.consumer, ids);
  }
  const fresh = new Set<string>();
  for (const [consumer, ids] of byConsumer) for (const id of await tx.markAllProcessed(consumer, ids)) fresh.add(`${consumer}\u0000${id}`);
  return fresh;
}

/** How long a job token outlives its job's deadline: a late result is refused by the domain, not by an expired token. */
const JOB_TOKEN_GRACE_MS = 15 * 60_000;

function jobTokenMinter(secret: Buffer | undefined): (job: JobRequest, now: string) => string {
  if (!secret) return () => '';
  return (job, now) =>
    signJobToken(
      { jobId: job.jobId, nonce: job.nonce, pipeline: job.pipelineName, executionId: job.pipelineExecutionId },
      secret,
      new Date(Date.parse(job.timeoutAt) + JOB_TOKEN_GRACE_MS),
      new Date(now),
    );
}
