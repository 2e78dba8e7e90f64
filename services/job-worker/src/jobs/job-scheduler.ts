import { Inject, Injectable, Logger } from '@nestjs/common';
import { context, type Context } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { HandledJobsRepository } from './handled-jobs.repository';
import { JobEventsPublisher } from './job-events.publisher';
import { JobSpec } from './job-request';
import { JobRunner } from './job-runner';
import { JobCancelledByOrchestrator, WorkerShuttingDown } from './stop-reasons';

interface RunningJob {
  job: JobSpec;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs at most PIPEWRIGHT_JOB_CONCURRENCY jobs at once; the rest wait here in arrival order. The
 * Kafka handler only hands jobs over, so a partition is never blocked by a running job and a
 * JobCancelled behind it is read at once.
 */
@Injectable()
export class JobScheduler {
  private readonly logger = new Logger('jobs');
  private readonly waiting: JobSpec[] = [];
  private readonly running = new Map<string, RunningJob>();
  /** The trace context each waiting job was requested in: a job started later (another's slot freed) still runs in its own trace. */
  private readonly requestedIn = new Map<string, Context>();
  private accepting = true;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly runner: JobRunner,
    private readonly handled: HandledJobsRepository,
    private readonly events: JobEventsPublisher,
  ) {}

  /** Takes a job unless it was taken (or cancelled) before; the same job id runs once. */
  async offer(job: JobSpec): Promise<void> {
    if (!this.accepting) throw new WorkerShuttingDown();
    if (this.running.has(job.jobId) || this.waiting.some((w) => w.jobId === job.jobId)) return;
    if (!(await this.handled.claim(job.jobId, job.nonce, job.ref.pipelineName, this.config.workerId))) {
      this.logger.log(`job ${job.jobId} was handled before; skipping the repeated request`);
      return;
    }
    this.waiting.push(job);
    this.requestedIn.set(job.jobId, context.active());
    this.pump();
  }

  /**
   * Stops a running job at once, whatever `abandon` says: the orchestrator sends JobCancelled only
   * when the action is over for it (abandoned, or failed by its timeout), never for stop-and-wait,
   * so a job left running would only hold a slot. A job not started yet never starts.
   */
  async cancel(jobId: string, pipelineName: string, reason: string): Promise<void> {
    const queued = this.waiting.findIndex((w) => w.jobId === jobId);
    if (queued >= 0) {
      const [job] = this.waiting.splice(queued, 1);
      this.requestedIn.delete(jobId);
      await this.handled.record(jobId, 'Cancelled');
      await this.events.failed(job, 'JobFailed', `${new JobCancelledByOrchestrator(reason).message} (before it started)`);
      return;
    }
    const running = this.running.get(jobId);
    if (running) {
      this.logger.log(`job ${jobId} cancelled: stopping it`);
      running.controller.abort(new JobCancelledByOrchestrator(reason));
      return;
    }
    await this.handled.cancelUnclaimed(jobId, pipelineName, this.config.workerId);
  }

  /**
   * SIGTERM: no new jobs; waiting ones fail as SystemUnavailable (so the orchestrator retries them
   * elsewhere); running ones get PIPEWRIGHT_JOB_DRAIN_MS to finish, then are stopped and fail with
   * 'worker shutting down'.
   */
  async shutdown(): Promise<void> {
    this.accepting = false;
    for (const job of this.waiting.splice(0)) {
      this.requestedIn.delete(job.jobId);
      await this.handled.record(job.jobId, 'Failed');
      await this.events.failed(job, 'SystemUnavailable', 'worker shutting down: the job was not started');
    }
    if (this.running.size === 0) return;
    this.logger.log(`waiting up to ${this.config.drainMs} ms for ${this.running.size} running job(s)`);
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    await Promise.race([all(), sleep(this.config.drainMs)]);
    for (const running of this.running.values()) running.controller.abort(new WorkerShuttingDown());
    await all();
  }

  private pump(): void {
    while (this.accepting && this.running.size < this.config.concurrency && this.waiting.length > 0) this.start(this.waiting.shift()!);
  }

  private start(job: JobSpec): void {
    const controller = new AbortController();
    const requestedIn = this.requestedIn.get(job.jobId) ?? context.active();
    this.requestedIn.delete(job.jobId);
    const done = context.with(requestedIn, async () => {
      try {
        await this.handled.record(job.jobId, 'Running');
        const status = await this.runner.run(job, controller.signal);
        await this.handled.record(job.jobId, status);
      } catch (error) {
        this.logger.error(`job ${job.jobId} could not be run to its end: ${error instanceof Error ? error.stack : String(error)}`);
      } finally {
        this.running.delete(job.jobId);
        this.pump();
      }
    });
    this.running.set(job.jobId, { job, controller, done });
  }
}
