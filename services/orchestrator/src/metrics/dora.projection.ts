import { Injectable } from '@nestjs/common';
import { EventStoreTransaction, Projection, RecordedEvent } from '@pipewright/event-store';
import { changesDoraExecution, DoraExecution, evolveDoraExecution, ExecutionEvent } from '@pipewright/execution-domain';

type Query = EventStoreTransaction['query'];

interface Row {
  pipeline_execution_id: string;
  pipeline_name: string;
  status: DoraExecution['status'];
  start_time: Date;
  change_time: Date;
  finish_time: Date | null;
}

const STREAM_PREFIX = 'execution-';

/**
 * GetDoraMetrics' read model: one row per execution (status, start, change and finish times),
 * each a fold of evolveDoraExecution over the execution's events. Rebuildable from the log.
 */
@Injectable()
export class DoraProjection implements Projection {
  readonly name = 'dora-executions';
  private schema = '';

  async createTable(query: Query, schema: string): Promise<void> {
    this.schema = schema;
    await query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         pipeline_execution_id text PRIMARY KEY, pipeline_name text NOT NULL, status text NOT NULL,
         start_time timestamptz NOT NULL, change_time timestamptz NOT NULL, finish_time timestamptz)`,
    );
    await query(`CREATE INDEX IF NOT EXISTS dora_executions_by_pipeline ON ${this.table} (pipeline_name, finish_time)`);
  }

  private get table() {
    return `"${this.schema}".dora_executions`;
  }

  async reset(tx: EventStoreTransaction): Promise<void> {
    await tx.query(`DELETE FROM ${this.table}`);
  }

  async apply(recorded: RecordedEvent, tx: EventStoreTransaction): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as ExecutionEvent;
    // Most of an execution's events (jobs, heartbeats, stages) leave its row as it is: no read for them.
    if (!recorded.streamId.startsWith(STREAM_PREFIX) || !changesDoraExecution(event)) return;
    const id = recorded.streamId.slice(STREAM_PREFIX.length);
    const [found] = await tx.query<Row>(`SELECT * FROM ${this.table} WHERE pipeline_execution_id = $1`, [id]);
    const before = found ? fromRow(found) : undefined;
    const after = evolveDoraExecution(before, event);
    if (!after || after === before) return;
    await tx.query(
      `INSERT INTO ${this.table} (pipeline_execution_id, pipeline_name, status, start_time, change_time, finish_time) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (pipeline_execution_id) DO UPDATE SET status = excluded.status, change_time = excluded.change_time, finish_time = excluded.finish_time`,
      [after.pipelineExecutionId, after.pipelineName, after.status, after.startTime, after.changeTime, after.finishTime ?? null],
    );
  }

  /** A pipeline's executions that finished before `end` (every earlier one counts for time to restore). */
  async finishedBefore(query: Query, pipelineName: string, end: string): Promise<DoraExecution[]> {
    const rows = await query<Row>(`SELECT * FROM ${this.table} WHERE pipeline_name = $1 AND finish_time < $2 ORDER BY finish_time`, [pipelineName, end]);
    return rows.map(fromRow);
  }

  async hasExecutions(query: Query, pipelineName: string): Promise<boolean> {
    const rows = await query(`SELECT 1 FROM ${this.table} WHERE pipeline_name = $1 LIMIT 1`, [pipelineName]);
    return rows.length > 0;
  }
}

function fromRow(row: Row): DoraExecution {
  return {
    pipelineExecutionId: row.pipeline_execution_id,
    pipelineName: row.pipeline_name,
    status: row.status,
    startTime: row.start_time.toISOString(),
    changeTime: row.change_time.toISOString(),
    finishTime: row.finish_time?.toISOString(),
  };
}
