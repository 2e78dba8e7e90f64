import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { jobV1 } from '@pipewright/contracts';
import { EventStoreTransaction } from '@pipewright/event-store';
import { StartedExecution } from '@pipewright/execution-domain';
import { ActionTypeId, actionTypeKey, ActionTypeRegistry } from '@pipewright/pipeline-model';
import { databaseUrl, ServiceInfrastructure } from '@pipewright/service-kit';
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { ExecutionEngine, Unit } from '../executions/execution-engine';

type Query = EventStoreTransaction['query'];

/** A job handed to a poller: CodePipeline's Job (id, data, nonce). */
export interface ClaimedJob {
  jobId: string;
  nonce: string;
  data: jobV1.JobData;
}

export interface CustomJob extends ClaimedJob {
  pipelineExecutionId: string;
  pending: boolean;
}

/** Built-in providers and the catalog types Pipewright runs; every other type waits for a polling worker. */
const registry = ActionTypeRegistry.standard();
export const awaitsWorker = (id: ActionTypeId) => registry.resolve(id)?.executable !== true;

const withWorkerActions = new WeakMap<StartedExecution['declaration'], boolean>();

/** Whether any action of the execution's pipeline version waits for an outside worker (remembered per declaration). */
function hasWorkerActions(execution: StartedExecution): boolean {
  let found = withWorkerActions.get(execution.declaration);
  if (found === undefined) {
    found = execution.declaration.stages.some((stage) => stage.actions.some((action) => awaitsWorker(action.actionTypeId)));
    withWorkerActions.set(execution.declaration, found);
  }
  return found;
}

/**
 * The queue of jobs for workers outside Pipewright. `custom_jobs` remembers every such job (its
 * JobRequested, so GetJobDetails and late results can be answered); `pending_jobs` holds those whose
 * action is still running. Both are written by a commit hook of the execution engine, in the same
 * transaction as the events that dispatch or end the job, so the queue never disagrees with the log.
 * A dispatch NOTIFYs on commit, which wakes long polls in every orchestrator instance.
 */
@Injectable()
export class PendingJobs implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('pending-jobs');
  private readonly dispatched = new EventEmitter().setMaxListeners(0);
  private schema = '';
  private listener?: Client;

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    engine: ExecutionEngine,
  ) {
    engine.onCommit((unit) => this.record(unit));
  }

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    this.schema = store.schema;
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.jobs} (
         job_id text PRIMARY KEY, pipeline_execution_id text NOT NULL, action_type text NOT NULL, requested jsonb NOT NULL, created timestamptz NOT NULL DEFAULT now())`,
    );
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.pending} (
         job_id text PRIMARY KEY, action_type text NOT NULL, configuration jsonb NOT NULL, continuation_token text NOT NULL DEFAULT '',
         acknowledged boolean NOT NULL DEFAULT false, claimed_until timestamptz, enqueued timestamptz NOT NULL DEFAULT now())`,
    );
    await store.query(`CREATE INDEX IF NOT EXISTS custom_jobs_by_execution ON ${this.jobs} (pipeline_execution_id)`);
    await store.query(`CREATE INDEX IF NOT EXISTS pending_jobs_by_type ON ${this.pending} (action_type, enqueued)`);
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.dispatched.emit('closing');
    await this.listener?.end().catch(() => undefined);
  }

  private get jobs() {
    return `"${this.schema}".custom_jobs`;
  }

  private get pending() {
    return `"${this.schema}".pending_jobs`;
  }

  /** NOTIFY channels are identifiers of at most 63 bytes; schemas of tests are long. */
  private get channel() {
    return `pending_jobs_${createHash('sha256').update(this.schema).digest('hex').slice(0, 24)}`;
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: databaseUrl() });
    client.on('notification', (n) => this.dispatched.emit(n.payload ?? ''));
    // Without the listener, waiting polls still look again every few seconds.
    client.on('error', (error) => this.logger.warn(`job notifications lost: ${error.message}`));
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
  }

  /** Resolves when a job of this type is queued (in any instance), at the timeout, or when the service stops. */
  waitForDispatch(actionType: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.dispatched.off(actionType, done);
        this.dispatched.off('closing', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.dispatched.once(actionType, done);
      this.dispatched.once('closing', done);
    });
  }

  /** The commit hook: queue what the unit dispatched for workers, drop what it ended. */
  private async record(unit: Unit): Promise<void> {
    const { query } = unit.tx;
    const queued = new Set<string>();
    for (const { job, requested } of unit.dispatched) {
      if (!awaitsWorker(job.actionTypeId)) continue;
      const type = actionTypeKey(job.actionTypeId);
      const message = jobV1.JobRequested.toJSON(jobV1.JobRequested.decode(requested.value as Uint8Array));
      await query(`INSERT INTO ${this.jobs} (job_id, pipeline_execution_id, action_type, requested) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING`, [
        job.jobId,
        job.pipelineExecutionId,
        type,
        JSON.stringify(message),
      ]);
      // A continued job (same id) waits for a poller again, carrying the worker's token.
      await query(
        `INSERT INTO ${this.pending} (job_id, action_type, configuration, continuation_token) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job_id) DO UPDATE SET continuation_token = excluded.continuation_token, acknowledged = false, claimed_until = NULL, enqueued = now()
         WHERE excluded.continuation_token <> ''`,
        [job.jobId, type, JSON.stringify(job.configuration), job.continuationToken ?? ''],
      );
      queued.add(type);
    }
    for (const [id, loaded] of unit.executions) {
      // Only an execution with actions for outside workers can have pending jobs to take back.
      if (loaded.pending.length === 0 || loaded.state.status === 'NotStarted' || !hasWorkerActions(loaded.state)) continue;
      await query(
        `DELETE FROM ${this.pending} p USING ${this.jobs} j WHERE p.job_id = j.job_id AND j.pipeline_execution_id = $1 AND NOT (p.job_id = ANY($2::text[]))`,
        [id, runningJobs(loaded.state)],
      );
    }
    for (const type of queued) await this.notify(query, type);
  }

  private notify(query: Query, actionType: string) {
    return query(`SELECT pg_notify($1, $2)`, [this.channel, actionType]);
  }

  /**
   * Hands up to `max` waiting jobs of one type to one poller: each row is locked (others skip it)
   * and leased, so two pollers never get the same job; an unacknowledged job comes back when its lease ends.
   */
  async claim(actionType: string, max: number, queryParam: Record<string, string>, leaseSeconds: number): Promise<ClaimedJob[]> {
    const store = await this.infrastructure.store();
    const rows = await store.query<{ requested: unknown; continuation_token: string }>(
      `WITH picked AS (
         SELECT job_id FROM ${this.pending}
          WHERE action_type = $1 AND NOT acknowledged AND (claimed_until IS NULL OR claimed_until <= now()) AND configuration @> $2::jsonb
          ORDER BY enqueued, job_id LIMIT $3 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE ${this.pending} p SET claimed_until = now() + make_interval(secs => $4) FROM picked WHERE p.job_id = picked.job_id
         RETURNING p.job_id, p.continuation_token, p.enqueued)
       SELECT j.requested, claimed.continuation_token FROM claimed JOIN ${this.jobs} j ON j.job_id = claimed.job_id ORDER BY claimed.enqueued, claimed.job_id`,
      [actionType, JSON.stringify(queryParam), max, leaseSeconds],
    );
    return rows.map((r) => claimedJob(r.requested, r.continuation_token));
  }

  async find(jobId: string): Promise<CustomJob | undefined> {
    const store = await this.infrastructure.store();
    const [row] = await store.query<{ requested: unknown; pipeline_execution_id: string; continuation_token: string | null }>(
      `SELECT j.requested, j.pipeline_execution_id, p.continuation_token FROM ${this.jobs} j LEFT JOIN ${this.pending} p ON p.job_id = j.job_id WHERE j.job_id = $1`,
      [jobId],
    );
    if (!row) return undefined;
    return { ...claimedJob(row.requested, row.continuation_token ?? ''), pipelineExecutionId: row.pipeline_execution_id, pending: row.continuation_token !== null };
  }

  /** Acknowledged: the job stays with its worker until it reports (or the action times out). */
  async acknowledged(query: Query, jobId: string): Promise<void> {
    await query(`UPDATE ${this.pending} SET acknowledged = true WHERE job_id = $1`, [jobId]);
  }
}

/** Jobs whose action attempt is still running; every other queued job of the execution has ended. */
function runningJobs(s: StartedExecution): string[] {
  return Object.values(s.stages).flatMap((stage) => Object.values(stage.actions).flatMap((a) => (a.status === 'InProgress' && a.jobId ? [a.jobId] : [])));
}

function claimedJob(requested: unknown, continuationToken: string): ClaimedJob {
  const message = jobV1.JobRequested.fromJSON(requested);
  return { jobId: message.jobId, nonce: message.nonce, data: jobV1.JobData.fromPartial({ ...message.data, continuationToken }) };
}
