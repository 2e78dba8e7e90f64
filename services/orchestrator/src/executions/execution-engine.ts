import { Injectable, Logger } from '@nestjs/common';
import { asArray } from '@pipewright/decider';
import { EventStoreTransaction, NewOutboxMessage, StreamVersionConflict } from '@pipewright/event-store';
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
} from '@pipewright/execution-domain';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { ExecutionTables, ScheduledTimer } from './execution-tables';
import { jobCancelled, jobRequested, stateChanged } from './published';
import { executionStream, lanesStream, loadExecution, loadLanes, LoadedStream } from './streams';

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

  constructor(readonly tx: EventStoreTransaction) {}

  async execution(id: string): Promise<LoadedStream<ExecutionState, ExecutionEvent>> {
    let loaded = this.executions.get(id);
    if (!loaded) this.executions.set(id, (loaded = await loadExecution(this.tx, id)));
    return loaded;
  }

  async lanesOf(pipelineName: string): Promise<LoadedStream<LanesState, LanesEvent>> {
    let loaded = this.lanes.get(pipelineName);
    if (!loaded) this.lanes.set(pipelineName, (loaded = await loadLanes(this.tx, pipelineName)));
    return loaded;
  }

  async run(first: Work): Promise<void> {
    const queue: Work[] = [first];
    for (let steps = 0; queue.length > 0; steps++) {
      if (steps >= MAX_STEPS) throw new Error(`more than ${MAX_STEPS} commands caused by one request`);
      const work = queue.shift()!;
      if (work.kind === 'execution') queue.push(...(await this.decideExecution(work.pipelineExecutionId, work.command)));
      else queue.push(...(await this.decideLanes(work.pipelineName, work.command)));
    }
  }

  private async decideExecution(id: string, source: CommandSource): Promise<Work[]> {
    const loaded = await this.execution(id);
    const command = typeof source === 'function' ? await source(this, loaded.state) : source;
    const events = asArray(executionDecider.decide(command, loaded.state));
    const outputs = outputsOf(loaded.state, events);
    loaded.state = events.reduce(executionDecider.evolve, loaded.state);
    loaded.pending.push(...events);
    const next: Work[] = [];
    const s = loaded.state;
    if (s.status === 'NotStarted') return next;
    for (const output of outputs) {
      switch (output.type) {
        case 'DispatchJob': {
          const requested = jobRequested(output.job, s.lastUpdateTime);
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

  private async decideLanes(pipelineName: string, command: LanesCommand): Promise<Work[]> {
    const loaded = await this.lanesOf(pipelineName);
    const events = asArray(pipelineLanesDecider.decide(command, loaded.state));
    loaded.state = events.reduce(pipelineLanesDecider.evolve, loaded.state);
    loaded.pending.push(...events);
    return events.flatMap(executionCommandsFor).map(({ pipelineExecutionId, command }) => ({ kind: 'execution' as const, pipelineExecutionId, command }));
  }
}

/** Runs in a unit's transaction after its appends, for tables kept beside the log (e.g. the custom workers' job queue). */
export type CommitHook = (unit: Unit) => Promise<void>;

export interface RunOptions {
  /** Runs first in the transaction; false skips the work (a duplicate message, a timer already taken). */
  before?: (tx: EventStoreTransaction) => Promise<boolean>;
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

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly tables: ExecutionTables,
  ) {}

  onCommit(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  async run(work: Work, options: RunOptions = {}): Promise<Unit | undefined> {
    const store = await this.infrastructure.store();
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.transaction(async (tx) => {
          if (options.before && !(await options.before(tx))) return undefined;
          const unit = new Unit(tx);
          await unit.run(work);
          await this.commit(unit);
          return unit;
        });
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.logger.debug?.(`conflict on ${error.stream}, deciding again (attempt ${attempt})`);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  private async commit(unit: Unit): Promise<void> {
    const { tx } = unit;
    for (const [id, loaded] of unit.executions) {
      if (loaded.pending.length === 0) continue;
      await tx.append(executionStream(id), loaded.version, loaded.pending);
      if (loaded.state.status !== 'NotStarted') await this.tables.project(tx.query, loaded.state);
    }
    for (const [name, loaded] of unit.lanes) {
      if (loaded.pending.length > 0) await tx.append(lanesStream(name), loaded.version, loaded.pending);
    }
    await tx.enqueueOutbox(unit.outbox);
    await this.tables.schedule(tx.query, unit.timers);
    for (const hook of this.hooks) await hook(unit);
  }
}
