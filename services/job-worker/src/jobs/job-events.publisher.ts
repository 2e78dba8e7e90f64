import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FailureType } from '@pipewright/action-providers';
import { commonV1, jobV1, timestampFromDate } from '@pipewright/contracts';
import { CONTENT_TYPE_PROTOBUF, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import type { JobSpec } from './job-request';

const SOURCE = '/pipewright/job-worker';
/** CodePipeline's limit on FailureDetails.message. */
const MAX_FAILURE_MESSAGE = 5000;

export interface OutputArtifactResult {
  name: string;
  revision?: string;
  location: commonV1.ArtifactRef;
}

export interface SuccessResult {
  outputArtifacts: OutputArtifactResult[];
  outputVariables: Record<string, string>;
  summary: string;
  externalLink?: string;
  currentRevision?: jobV1.CurrentRevision;
}

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
}

/**
 * Job events on the job-events topic, published directly (not through an outbox): each is an
 * idempotent fact about one job, keyed by job id and nonce, so a repeat changes nothing. Results
 * are retried until Kafka takes them; heartbeats are best effort.
 */
@Injectable()
export class JobEventsPublisher {
  private readonly logger = new Logger('job-events');

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  acknowledged(job: JobSpec): Promise<void> {
    return this.reliably(job, 'JobAcknowledged', jobV1.JobAcknowledged, { job: job.ref, nonce: job.nonce, workerId: this.config.workerId, time: timestampFromDate(new Date()) });
  }

  async heartbeat(job: JobSpec, summary: string): Promise<void> {
    const message = { job: job.ref, nonce: job.nonce, workerId: this.config.workerId, executionDetails: { summary, externalExecutionId: '' }, time: timestampFromDate(new Date()) };
    await this.publish(job, 'JobHeartbeat', jobV1.JobHeartbeat, message).catch((error: Error) => this.logger.warn(`heartbeat of job ${job.jobId} not sent: ${error.message}`));
  }

  succeeded(job: JobSpec, result: SuccessResult): Promise<void> {
    return this.reliably(job, 'JobSucceeded', jobV1.JobSucceeded, {
      job: job.ref,
      nonce: job.nonce,
      outputArtifacts: result.outputArtifacts.map((a) => ({ name: a.name, revision: a.revision ?? '', location: a.location, files: [] })),
      outputVariables: result.outputVariables,
      executionDetails: { summary: result.summary, externalExecutionId: job.jobId },
      externalExecutionUrl: result.externalLink ?? '',
      currentRevision: result.currentRevision,
      continuationToken: '',
      time: timestampFromDate(new Date()),
    });
  }

  failed(job: JobSpec, type: FailureType, message: string): Promise<void> {
    const text = message.length > MAX_FAILURE_MESSAGE ? `${message.slice(0, MAX_FAILURE_MESSAGE - 1)}…` : message;
    return this.reliably(job, 'JobFailed', jobV1.JobFailed, { job: job.ref, nonce: job.nonce, failureDetails: { type, message: text, externalExecutionId: job.jobId }, time: timestampFromDate(new Date()) });
  }

  private async reliably<T>(job: JobSpec, type: string, codec: Codec<T>, message: T): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.publish(job, type, codec, message);
      } catch (error) {
        if (attempt >= 10) throw error;
        this.logger.warn(`${type} of job ${job.jobId} not published (attempt ${attempt}): ${(error as Error).message}`);
        await sleep(Math.min(30_000, 250 * 2 ** attempt));
      }
    }
  }

  private publish<T>(job: JobSpec, type: string, codec: Codec<T>, message: T): Promise<void> {
    return this.infrastructure.messaging.publish(Topics.JobEvents, {
      key: job.ref.pipelineName,
      event: {
        id: randomUUID(),
        type: `pipewright.job.v1.${type}`,
        source: SOURCE,
        time: new Date(),
        subject: job.ref.pipelineName,
        datacontenttype: CONTENT_TYPE_PROTOBUF,
        data: codec.encode(message).finish(),
      },
    });
  }
}
