import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { dateFromTimestamp, jobV1 } from '@pipewright/contracts';
import { DomainError } from '@pipewright/decider';
import { ExecutionCommand, ExecutionState, JobFailureType } from '@pipewright/execution-domain';
import { ReceivedEvent, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { consumerGroup } from '../config';
import { eventData, optional } from './event-data';
import { CommandSource, ExecutionEngine } from './execution-engine';

const FAILURE_TYPES: readonly JobFailureType[] = ['JobFailed', 'ConfigurationError', 'PermissionError', 'RevisionOutOfSync', 'RevisionUnavailable', 'SystemUnavailable'];
const JOB_EVENT_TYPES = ['pipewright.job.v1.JobAcknowledged', 'pipewright.job.v1.JobHeartbeat', 'pipewright.job.v1.JobSucceeded', 'pipewright.job.v1.JobFailed'] as const;

/** Kafka workers do not echo the nonce on every event; the channel is internal, so the issued one stands in. */
const issuedNonce = (state: ExecutionState, jobId: string) => (state.status === 'NotStarted' ? '' : (state.jobs[jobId]?.nonce ?? ''));

/** The job-events topic: each worker report becomes one command on its execution, exactly once. */
@Injectable()
export class JobEventsConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('job-events');
  private readonly group = consumerGroup('job-events');

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly engine: ExecutionEngine,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.infrastructure.messaging.start();
    await this.infrastructure.messaging.subscribe({ groupId: this.group, topics: [Topics.JobEvents], handler: (received) => this.handle(received), partitionsConsumedConcurrently: 3 });
  }

  async handle({ event }: ReceivedEvent): Promise<void> {
    const message = eventData(event, JOB_EVENT_TYPES);
    if (!message) {
      if (!event.type.startsWith('pipewright.job.v1.Job')) this.logger.warn(`skipping unknown event type ${event.type} (${event.id})`);
      return;
    }
    const job = 'job' in message.data ? message.data.job : undefined;
    if (!job?.jobId || !job.pipelineExecutionId) {
      this.logger.warn(`skipping ${event.type} ${event.id}: it names no job or execution`);
      return;
    }
    const command = commandFor(message, job.jobId, new Date().toISOString());
    if (!command) return;
    try {
      await this.engine.run(
        { kind: 'execution', pipelineExecutionId: job.pipelineExecutionId, command },
        { before: (tx) => tx.markProcessed(this.group, event.id) },
      );
    } catch (error) {
      // A stale or unknown job will never become valid: log it and let the offset move on.
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`${event.type} for job ${job.jobId} of execution ${job.pipelineExecutionId} refused: ${error.name}: ${error.message}`);
    }
  }
}

type JobMessage = NonNullable<ReturnType<typeof eventData<(typeof JOB_EVENT_TYPES)[number]>>>;

function commandFor(message: JobMessage, jobId: string, now: string): CommandSource | undefined {
  switch (message.type) {
    case 'pipewright.job.v1.JobAcknowledged': {
      const data = message.data as jobV1.JobAcknowledged;
      return { type: 'AcknowledgeJob', data: { jobId, nonce: data.nonce, now } };
    }
    case 'pipewright.job.v1.JobHeartbeat':
      return (_unit, state): ExecutionCommand => ({ type: 'RecordJobHeartbeat', data: { jobId, nonce: issuedNonce(state, jobId), now } });
    case 'pipewright.job.v1.JobSucceeded': {
      const data = message.data as jobV1.JobSucceeded;
      const revision = data.currentRevision;
      return (_unit, state): ExecutionCommand => ({
        type: 'CompleteJob',
        data: {
          jobId,
          nonce: issuedNonce(state, jobId),
          outputArtifacts: data.outputArtifacts.map((a) => ({ name: a.name, artifactId: a.location?.artifactId ?? '', sha256: a.location?.sha256 ?? '', sizeBytes: Number(a.location?.sizeBytes ?? 0) })),
          outputVariables: data.outputVariables,
          summary: optional(data.executionDetails?.summary),
          externalExecutionId: optional(data.executionDetails?.externalExecutionId),
          externalExecutionUrl: optional(data.externalExecutionUrl),
          currentRevision: revision?.revision
            ? {
                revision: revision.revision,
                changeIdentifier: optional(revision.changeIdentifier),
                created: revision.created ? dateFromTimestamp(revision.created).toISOString() : undefined,
                revisionSummary: optional(revision.revisionSummary),
              }
            : undefined,
          now,
        },
      });
    }
    case 'pipewright.job.v1.JobFailed': {
      const details = (message.data as jobV1.JobFailed).failureDetails;
      const type = FAILURE_TYPES.find((t) => t === details?.type) ?? 'JobFailed';
      return (_unit, state): ExecutionCommand => ({
        type: 'FailJob',
        data: { jobId, nonce: issuedNonce(state, jobId), failureDetails: { type, message: details?.message || 'the job failed', externalExecutionId: optional(details?.externalExecutionId) }, now },
      });
    }
  }
}
