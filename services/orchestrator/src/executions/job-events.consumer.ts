import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { jobV1 } from '@pipewright/contracts';
import { ExecutionCommand } from '@pipewright/execution-domain';
import { CloudEvent, ReceivedEvent, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { contextFromTraceHeaders } from '@pipewright/telemetry';
import { consumerGroup } from '../config';
import { completeJobData, failJobData, reportedNonce } from '../jobs/job-results';
import { eventData } from './event-data';
import { BatchItem, CommandSource, ExecutionEngine } from './execution-engine';
import { GroupCommit } from './group-commit';

const JOB_EVENT_TYPES = ['pipewright.job.v1.JobAcknowledged', 'pipewright.job.v1.JobHeartbeat', 'pipewright.job.v1.JobSucceeded', 'pipewright.job.v1.JobFailed'] as const;

/** The job-events topic: each worker report becomes one command on its execution, exactly once. */
@Injectable()
export class JobEventsConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('job-events');
  private readonly group = consumerGroup('job-events');
  /** The partitions' runs that arrive while a transaction is in flight share the next one. */
  private readonly commits: GroupCommit<BatchItem>;

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    engine: ExecutionEngine,
  ) {
    this.commits = new GroupCommit((items) => engine.runAll(items));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.infrastructure.messaging.start();
    await this.infrastructure.messaging.subscribe({
      groupId: this.group,
      topics: [Topics.JobEvents],
      handler: (received) => this.handleBatch([received]),
      // A fetched run of one partition's events is decided in one transaction, shared with the
      // runs of the other partitions that wait meanwhile (see GroupCommit and docs/benchmarks.md).
      batchHandler: (received) => this.handleBatch(received),
      partitionsConsumedConcurrently: 3,
    });
  }

  /** Each report becomes one command; all of them commit together, and a refused one is logged and skipped. */
  async handleBatch(received: readonly ReceivedEvent[]): Promise<void> {
    const items: BatchItem[] = [];
    for (const { event, headers } of received) {
      const item = this.itemFor(event);
      // A batch is consumed in a span of its own; each report is decided in its job's trace.
      if (item) items.push({ ...item, traceContext: contextFromTraceHeaders(headers) });
    }
    await this.commits.submit(items);
  }

  private itemFor(event: CloudEvent): BatchItem | undefined {
    const message = eventData(event, JOB_EVENT_TYPES);
    if (!message) {
      if (!event.type.startsWith('pipewright.job.v1.Job')) this.logger.warn(`skipping unknown event type ${event.type} (${event.id})`);
      return undefined;
    }
    const job = 'job' in message.data ? message.data.job : undefined;
    if (!job?.jobId || !job.pipelineExecutionId) {
      this.logger.warn(`skipping ${event.type} ${event.id}: it names no job or execution`);
      return undefined;
    }
    const command = commandFor(message, job.jobId, new Date().toISOString());
    if (!command) return undefined;
    const workerId = 'workerId' in message.data ? message.data.workerId : '';
    return {
      work: { kind: 'execution', pipelineExecutionId: job.pipelineExecutionId, command },
      pipelineName: job.pipelineName || undefined,
      message: { consumer: this.group, id: event.id },
      cause: { causationId: event.id, actor: workerId ? `worker:${workerId}` : 'worker' },
      // A stale or unknown job will never become valid: log it and let the offset move on.
      refused: (error) => this.logger.warn(`${event.type} for job ${job.jobId} of execution ${job.pipelineExecutionId} refused: ${error.name}: ${error.message}`),
    };
  }
}

type JobMessage = NonNullable<ReturnType<typeof eventData<(typeof JOB_EVENT_TYPES)[number]>>>;

/** Results and heartbeats carry the job's nonce: one for another attempt is refused by the domain (JobNonceMismatch). */
function commandFor(message: JobMessage, jobId: string, now: string): CommandSource | undefined {
  switch (message.type) {
    case 'pipewright.job.v1.JobAcknowledged': {
      const data = message.data as jobV1.JobAcknowledged;
      return { type: 'AcknowledgeJob', data: { jobId, nonce: data.nonce, now } };
    }
    case 'pipewright.job.v1.JobHeartbeat': {
      const data = message.data as jobV1.JobHeartbeat;
      return (_unit, state): ExecutionCommand => ({ type: 'RecordJobHeartbeat', data: { jobId, nonce: reportedNonce(state, jobId, data.nonce), now } });
    }
    case 'pipewright.job.v1.JobSucceeded': {
      const data = message.data as jobV1.JobSucceeded;
      // With a continuation token the action goes on: the job is handed out again carrying it.
      if (data.continuationToken) {
        const summary = data.executionDetails?.summary || undefined;
        return (_unit, state): ExecutionCommand => ({ type: 'ContinueJob', data: { jobId, nonce: reportedNonce(state, jobId, data.nonce), continuationToken: data.continuationToken, summary, now } });
      }
      return (_unit, state): ExecutionCommand => ({ type: 'CompleteJob', data: completeJobData(jobId, reportedNonce(state, jobId, data.nonce), data, now) });
    }
    case 'pipewright.job.v1.JobFailed': {
      const data = message.data as jobV1.JobFailed;
      return (_unit, state): ExecutionCommand => ({ type: 'FailJob', data: failJobData(jobId, reportedNonce(state, jobId, data.nonce), data.failureDetails, now) });
    }
  }
}
