import { Inject, Injectable } from '@nestjs/common';
import { jobV1 } from '@pipewright/contracts';
import { DomainError } from '@pipewright/decider';
import { ExecutionCommand, ExecutionState, JobAlreadyFinished, JobNonceMismatch, JobNotFound, StaleJobAttempt, StartedExecution } from '@pipewright/execution-domain';
import { ActionTypeId, actionTypeKey } from '@pipewright/pipeline-model';
import { EventStoreTransaction } from '@pipewright/event-store';
import { Cause, ExecutionEngine } from '../executions/execution-engine';
import { InvalidJobStateException, InvalidNonceException, JobNotFoundException } from './errors';
import { completeJobData, failJobData, reportedNonce, SuccessReport } from './job-results';
import { JOBS_CONFIG } from './jobs.tokens';
import { JobsConfig } from './jobs-config';
import { ClaimedJob, CustomJob, PendingJobs } from './pending-jobs';

const now = () => new Date().toISOString();

/** CodePipeline's job statuses, as AcknowledgeJob answers them. */
export type JobStatus = 'InProgress' | 'Succeeded' | 'Failed';

/**
 * JobService's behaviour (CodePipeline's job API for workers outside Pipewright). Results become
 * the same execution commands as the Kafka job events (CompleteJob, FailJob, AcknowledgeJob);
 * the queue only decides who gets a job when.
 */
@Injectable()
export class JobsHandler {
  constructor(
    private readonly engine: ExecutionEngine,
    private readonly pending: PendingJobs,
    @Inject(JOBS_CONFIG) private readonly config: JobsConfig,
  ) {}

  /** Long poll: answers as soon as a job of the type waits, or with none after the configured wait. */
  async poll(actionTypeId: ActionTypeId, maxBatchSize: number, queryParam: Record<string, string>): Promise<ClaimedJob[]> {
    const type = actionTypeKey(actionTypeId);
    const deadline = Date.now() + this.config.pollWaitMs;
    for (;;) {
      const jobs = await this.pending.claim(type, maxBatchSize, queryParam, this.config.claimLeaseSeconds);
      const left = deadline - Date.now();
      if (jobs.length > 0 || left <= 0) return jobs;
      await this.pending.waitForDispatch(type, Math.min(left, this.config.recheckMs));
    }
  }

  async details(jobId: string): Promise<CustomJob> {
    return this.job(jobId);
  }

  async acknowledge(jobId: string, nonce: string, cause?: Cause): Promise<JobStatus> {
    const job = await this.job(jobId);
    const state = await this.on(job, () => ({ type: 'AcknowledgeJob', data: { jobId, nonce, now: now() } }), cause, (tx) => this.pending.acknowledged(tx.query, jobId));
    const action = actionOf(state, jobId);
    return action?.status === 'InProgress' ? 'InProgress' : action?.status === 'Succeeded' ? 'Succeeded' : 'Failed';
  }

  /**
   * Without a continuation token the action succeeds. With one it stays InProgress: the report
   * counts as a heartbeat and the job waits for a poller again, carrying the token.
   */
  async succeed(jobId: string, nonce: string | undefined, report: SuccessReport, continuationToken: string | undefined, cause?: Cause): Promise<void> {
    const job = await this.job(jobId);
    if (continuationToken) {
      const summary = report.executionDetails?.summary || undefined;
      await this.on(job, (state) => ({ type: 'ContinueJob', data: { jobId, nonce: this.running(state, jobId, nonce), continuationToken, summary, now: now() } }), cause);
      return;
    }
    await this.on(job, (state) => ({ type: 'CompleteJob', data: completeJobData(jobId, this.running(state, jobId, nonce), report, now()) }), cause);
  }

  async fail(jobId: string, nonce: string | undefined, details: jobV1.FailureDetails, cause?: Cause): Promise<void> {
    const job = await this.job(jobId);
    await this.on(job, (state) => ({ type: 'FailJob', data: failJobData(jobId, this.running(state, jobId, nonce), details, now()) }), cause);
  }

  private async job(jobId: string): Promise<CustomJob> {
    const job = await this.pending.find(jobId);
    if (!job) throw new JobNotFoundException(`Job ${jobId} does not exist or is not a job for a worker of JobService`, { jobId });
    return job;
  }

  /** The nonce to report with, once the job is known to be the running attempt of its action. */
  private running(state: ExecutionState, jobId: string, nonce: string | undefined): string {
    const checked = reportedNonce(state, jobId, nonce);
    if (checked !== issued(state, jobId)) throw nonceMismatch(jobId);
    const action = actionOf(state, jobId);
    if (action?.jobId !== jobId || action.status !== 'InProgress') {
      throw new InvalidJobStateException(`Job ${jobId} has already ended (${action?.jobId === jobId ? action.status : 'replaced by a newer attempt'})`, { jobId });
    }
    return checked;
  }

  /** One command on the job's execution, in one transaction with `alongside` (the queue's change). */
  private async on(
    job: CustomJob,
    command: (state: ExecutionState) => ExecutionCommand,
    cause: Cause | undefined,
    alongside?: (tx: EventStoreTransaction) => Promise<void>,
  ): Promise<ExecutionState> {
    try {
      const unit = await this.engine.run(
        { kind: 'execution', pipelineExecutionId: job.pipelineExecutionId, command: (_unit, state) => command(state) },
        { before: alongside && (async (tx) => (await alongside(tx), true)), cause },
      );
      return unit!.executions.get(job.pipelineExecutionId)!.state;
    } catch (error) {
      throw asJobServiceError(error, job.jobId);
    }
  }
}

const issued = (state: ExecutionState, jobId: string) => (state.status === 'NotStarted' ? undefined : state.jobs[jobId]?.nonce);
const nonceMismatch = (jobId: string) => new InvalidNonceException(`The nonce given for job ${jobId} is not the job's`, { jobId });

function actionOf(state: ExecutionState, jobId: string): StartedExecution['stages'][string]['actions'][string] | undefined {
  if (state.status === 'NotStarted') return undefined;
  const job = state.jobs[jobId];
  return job ? state.stages[job.stageName]?.actions[job.actionName] : undefined;
}

/** The domain's refusals under CodePipeline's exception names. */
function asJobServiceError(error: unknown, jobId: string): unknown {
  if (!(error instanceof DomainError)) return error;
  if (error instanceof JobNonceMismatch) return new InvalidNonceException(error.message, { jobId });
  if (error instanceof JobNotFound) return new JobNotFoundException(error.message, { jobId });
  if (error instanceof JobAlreadyFinished || error instanceof StaleJobAttempt) return new InvalidJobStateException(error.message, { jobId });
  return error;
}
