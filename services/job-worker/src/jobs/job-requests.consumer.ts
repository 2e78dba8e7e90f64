import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { jobV1 } from '@pipewright/contracts';
import { CloudEvent, CONTENT_TYPE_JSON, readJsonData, ReceivedEvent, Subscription, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { actionTypeText, jobSpecOf, MalformedJobRequest } from './job-request';
import { JobRunner } from './job-runner';
import { JobScheduler } from './job-scheduler';

const REQUESTED = 'pipewright.job.v1.JobRequested';
const CANCELLED = 'pipewright.job.v1.JobCancelled';

/** Binary protobuf or its JSON option: consumers accept both (docs/events.md). */
function decode<T>(event: CloudEvent, codec: { decode(data: Uint8Array): T; fromJSON(value: unknown): T }): T {
  return event.datacontenttype.startsWith(CONTENT_TYPE_JSON) ? codec.fromJSON(readJsonData(event)) : codec.decode(event.data);
}

/**
 * The job-requests topic: JobRequested for the action types a built-in provider runs (the others
 * wait for custom workers and are skipped), and JobCancelled for the jobs this worker has.
 */
@Injectable()
export class JobRequestsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('job-requests');
  private subscription?: Subscription;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly infrastructure: ServiceInfrastructure,
    private readonly scheduler: JobScheduler,
    private readonly runner: JobRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.infrastructure.messaging.start();
    await this.infrastructure.store();
    this.subscription = await this.infrastructure.messaging.subscribe({
      groupId: this.config.groupId,
      topics: [Topics.JobRequests],
      handler: (received) => this.handle(received),
      partitionsConsumedConcurrently: 3,
    });
    this.logger.log(`taking jobs from ${Topics.JobRequests} as group ${this.config.groupId}, ${this.config.concurrency} at a time`);
  }

  /** Stop taking jobs first, then let the scheduler drain, while Kafka is still open for the results. */
  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
    await this.scheduler.shutdown();
  }

  async handle({ event }: ReceivedEvent): Promise<void> {
    if (event.type === REQUESTED) return this.requested(decode(event, jobV1.JobRequested));
    if (event.type === CANCELLED) return this.cancelled(decode(event, jobV1.JobCancelled));
    this.logger.warn(`skipping unknown event type ${event.type} (${event.id})`);
  }

  private async requested(request: jobV1.JobRequested): Promise<void> {
    const type = request.data?.actionTypeId;
    const pipelineName = request.data?.pipelineContext?.pipelineName ?? '';
    if (!type || !this.runner.supports({ actionTypeId: type as never })) return; // a custom worker's job
    if (!this.config.takesPipeline(pipelineName)) return;
    let job;
    try {
      job = jobSpecOf(request, this.config.maxTimeoutMs);
    } catch (error) {
      if (!(error instanceof MalformedJobRequest)) throw error;
      this.logger.error(`skipping a job request that cannot run: ${error.message}`);
      return;
    }
    this.logger.log(`job ${job.jobId} requested (${actionTypeText(job.actionTypeId)})`);
    await this.scheduler.offer(job);
  }

  private async cancelled(message: jobV1.JobCancelled): Promise<void> {
    const job = message.job;
    if (!job?.jobId || !this.config.takesPipeline(job.pipelineName)) return;
    await this.scheduler.cancel(job.jobId, job.pipelineName, message.reason);
  }
}
