import { Injectable, OnModuleInit } from '@nestjs/common';
import { EventStoreTransaction } from '@pipewright/event-store';
import { ExecutionOutput, PipelineExecutionView, pipelineExecutionView, StartedExecution, TimerPayload } from '@pipewright/execution-domain';
import { ServiceInfrastructure } from '@pipewright/service-kit';

type Query = EventStoreTransaction['query'];
export type ScheduledTimer = Extract<ExecutionOutput, { type: 'ScheduleTimer' }>;

export interface DueTimer {
  timerId: string;
  pipelineExecutionId: string;
  fireAt: Date;
  payload: TimerPayload;
}

/**
 * The orchestrator's tables beside its log: timers (written in the same transaction as the events
 * that schedule them) and the ListPipelineExecutions read model (a function of each execution's fold).
 */
@Injectable()
export class ExecutionTables implements OnModuleInit {
  private schema = '';

  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    this.schema = store.schema;
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.timers} (
         timer_id text PRIMARY KEY, pipeline_execution_id text NOT NULL, fire_at timestamptz NOT NULL, payload jsonb NOT NULL)`,
    );
    await store.query(`CREATE INDEX IF NOT EXISTS timers_fire_at ON ${this.timers} (fire_at)`);
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.executions} (
         pipeline_execution_id text PRIMARY KEY, pipeline_name text NOT NULL, start_time timestamptz NOT NULL,
         status text NOT NULL, summary jsonb NOT NULL)`,
    );
    await store.query(`ALTER TABLE ${this.executions} ADD COLUMN IF NOT EXISTS succeeded_stages text[] NOT NULL DEFAULT '{}'`);
    await store.query(`CREATE INDEX IF NOT EXISTS executions_by_pipeline ON ${this.executions} (pipeline_name, start_time DESC, pipeline_execution_id)`);
  }

  private get timers() {
    return `"${this.schema}".timers`;
  }

  private get executions() {
    return `"${this.schema}".executions`;
  }

  /** Upsert by timer id: scheduling an id again moves its fire time. */
  /** One statement for a unit's timers; a timer scheduled twice in the unit keeps its last schedule. */
  async schedule(query: Query, timers: readonly ScheduledTimer[]): Promise<void> {
    const latest = [...new Map(timers.map((t) => [t.timerId, t])).values()];
    if (latest.length === 0) return;
    await query(
      `INSERT INTO ${this.timers} (timer_id, pipeline_execution_id, fire_at, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[])
       ON CONFLICT (timer_id) DO UPDATE SET fire_at = excluded.fire_at, payload = excluded.payload, pipeline_execution_id = excluded.pipeline_execution_id`,
      [latest.map((t) => t.timerId), latest.map((t) => t.pipelineExecutionId), latest.map((t) => t.fireAt), latest.map((t) => JSON.stringify(t.payload))],
    );
  }

  /** Up to `limit` timers due at `now`, earliest first, and when the next one is due (past when more are due now). */
  async due(now: Date, limit: number): Promise<{ due: DueTimer[]; nextFireAt?: Date }> {
    const store = await this.infrastructure.store();
    const rows = await store.query<{ timer_id: string; pipeline_execution_id: string; fire_at: Date; payload: TimerPayload }>(
      `SELECT timer_id, pipeline_execution_id, fire_at, payload FROM ${this.timers} ORDER BY fire_at LIMIT $1`,
      [limit + 1],
    );
    const timers = rows.map((r) => ({ timerId: r.timer_id, pipelineExecutionId: r.pipeline_execution_id, fireAt: r.fire_at, payload: r.payload }));
    const due = timers.slice(0, limit).filter((timer) => timer.fireAt <= now);
    return { due, nextFireAt: timers[due.length]?.fireAt };
  }

  /** Takes a due timer for this transaction; false when another instance took it or it was moved. */
  async claim(query: Query, timer: DueTimer): Promise<boolean> {
    const rows = await query(`DELETE FROM ${this.timers} WHERE timer_id = $1 AND fire_at = $2 RETURNING 1`, [timer.timerId, timer.fireAt]);
    return rows.length === 1;
  }

  async discard(timer: DueTimer): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(`DELETE FROM ${this.timers} WHERE timer_id = $1 AND fire_at = $2`, [timer.timerId, timer.fireAt]);
  }

  /** The ListPipelineExecutions rows of the executions a unit changed, in one statement. */
  async project(query: Query, executions: readonly StartedExecution[]): Promise<void> {
    if (executions.length === 0) return;
    const rows = executions.map((execution) => ({
      execution,
      summary: JSON.stringify(pipelineExecutionView(execution)!.summary),
      // A text[] per row cannot ride in a 2-D array of ragged rows: each travels as JSON.
      succeeded: JSON.stringify(Object.values(execution.stages).filter((s) => s.status === 'Succeeded').map((s) => s.stageName)),
    }));
    await query(
      `INSERT INTO ${this.executions} (pipeline_execution_id, pipeline_name, start_time, status, summary, succeeded_stages)
       SELECT r.id, r.pipeline, r.started, r.status, r.summary, ARRAY(SELECT jsonb_array_elements_text(r.succeeded))
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::jsonb[]) AS r(id, pipeline, started, status, summary, succeeded)
       ON CONFLICT (pipeline_execution_id) DO UPDATE SET status = excluded.status, summary = excluded.summary, succeeded_stages = excluded.succeeded_stages`,
      [
        rows.map((r) => r.execution.pipelineExecutionId),
        rows.map((r) => r.execution.pipelineName),
        rows.map((r) => r.execution.startTime),
        rows.map((r) => r.execution.status),
        rows.map((r) => r.summary),
        rows.map((r) => r.succeeded),
      ],
    );
  }

  /** Newest first, optionally only those in which a stage succeeded (CodePipeline's succeededInStage filter). */
  async list(pipelineName: string, offset: number, limit: number, succeededInStage?: string): Promise<PipelineExecutionView['summary'][]> {
    const store = await this.infrastructure.store();
    const rows = await store.query<{ summary: PipelineExecutionView['summary'] }>(
      `SELECT summary FROM ${this.executions} WHERE pipeline_name = $1 AND ($4::text IS NULL OR $4 = ANY(succeeded_stages))
        ORDER BY start_time DESC, pipeline_execution_id LIMIT $2 OFFSET $3`,
      [pipelineName, limit, offset, succeededInStage ?? null],
    );
    return rows.map((r) => r.summary);
  }
}
