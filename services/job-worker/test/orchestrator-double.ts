import { randomUUID } from 'node:crypto';
import { jobV1, timestampFromDate } from '@pipewright/contracts';
import { CONTENT_TYPE_PROTOBUF, decodeCloudEvent, encodeCloudEvent, Topics } from '@pipewright/messaging';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';

export interface ReceivedJobEvent {
  type: string;
  jobId: string;
  data: any;
}

const codecs: Record<string, { decode(data: Uint8Array): unknown }> = {
  'pipewright.job.v1.JobAcknowledged': jobV1.JobAcknowledged,
  'pipewright.job.v1.JobHeartbeat': jobV1.JobHeartbeat,
  'pipewright.job.v1.JobSucceeded': jobV1.JobSucceeded,
  'pipewright.job.v1.JobFailed': jobV1.JobFailed,
};

/**
 * The test plays the orchestrator over real Kafka: it publishes JobRequested / JobCancelled
 * CloudEvents on the job-requests topic and collects the job events of its own pipelines.
 */
export class OrchestratorDouble {
  private readonly kafka: Kafka;
  private producer!: Producer;
  private consumer!: Consumer;
  readonly events: ReceivedJobEvent[] = [];
  private waiters: (() => void)[] = [];

  constructor(brokers: string[], private readonly pipelinePrefix: string, private readonly groupId: string) {
    this.kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.NOTHING });
  }

  /** Starts reading job events from the topic's current end, so only this run's events are seen. */
  async start(): Promise<void> {
    this.producer = this.kafka.producer();
    await this.producer.connect();
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(Topics.JobEvents);
    await admin.disconnect();
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.JobEvents, fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.key?.toString().startsWith(this.pipelinePrefix)) return;
        const event = decodeCloudEvent(message);
        const codec = codecs[event.type];
        if (!codec) return;
        const data = codec.decode(event.data) as { job?: { jobId: string } };
        this.events.push({ type: event.type.split('.').pop()!, jobId: data.job?.jobId ?? '', data });
        for (const wake of this.waiters.splice(0)) wake();
      },
    });
    for (const { partition, high } of ends) this.consumer.seek({ topic: Topics.JobEvents, partition, offset: high });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  async publish(type: 'JobRequested' | 'JobCancelled', pipelineName: string, data: Uint8Array): Promise<void> {
    const { value, headers } = encodeCloudEvent({
      id: randomUUID(),
      type: `pipewright.job.v1.${type}`,
      source: '/pipewright/orchestrator',
      time: new Date(),
      subject: pipelineName,
      datacontenttype: CONTENT_TYPE_PROTOBUF,
      data,
    });
    await this.producer.send({ topic: Topics.JobRequests, messages: [{ key: pipelineName, value, headers }] });
  }

  async request(job: jobV1.JobRequested): Promise<void> {
    await this.publish('JobRequested', job.data!.pipelineContext!.pipelineName, jobV1.JobRequested.encode(job).finish());
  }

  async cancel(job: jobV1.JobRequested, reason: string, abandon = true): Promise<void> {
    const context = job.data!.pipelineContext!;
    const message = jobV1.JobCancelled.fromPartial({
      job: { jobId: job.jobId, pipelineName: context.pipelineName, pipelineExecutionId: context.pipelineExecutionId, stageName: context.stage?.name, actionName: context.action?.name, attempt: 1 },
      reason,
      abandon,
      time: timestampFromDate(new Date()),
    });
    await this.publish('JobCancelled', context.pipelineName, jobV1.JobCancelled.encode(message).finish());
  }

  of(jobId: string, type?: string): ReceivedJobEvent[] {
    return this.events.filter((e) => e.jobId === jobId && (!type || e.type === type));
  }

  /** The first event of that job matching one of the types, waiting for it to arrive. */
  async next(jobId: string, ...types: string[]): Promise<ReceivedJobEvent> {
    for (;;) {
      const found = this.events.find((e) => e.jobId === jobId && types.includes(e.type));
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  result(jobId: string): Promise<ReceivedJobEvent> {
    return this.next(jobId, 'JobSucceeded', 'JobFailed');
  }
}

let counter = 0;

export interface JobShape {
  pipelineName: string;
  type: string;
  configuration?: Record<string, string>;
  inputArtifacts?: { name: string; location: { artifactId: string; sha256: string; sizeBytes: string } }[];
  outputArtifacts?: string[];
  timeoutInMinutes?: number;
}

/** A JobRequested as the orchestrator builds it. */
export function jobRequest(shape: JobShape): jobV1.JobRequested {
  const [category, owner, provider] = shape.type.split('/');
  const jobId = `${shape.pipelineName}-job-${++counter}-${randomUUID().slice(0, 8)}`;
  return jobV1.JobRequested.fromPartial({
    jobId,
    nonce: randomUUID(),
    time: timestampFromDate(new Date()),
    data: {
      actionTypeId: { category, owner, provider, version: '1' },
      actionConfiguration: { configuration: shape.configuration ?? {} },
      pipelineContext: {
        pipelineName: shape.pipelineName,
        pipelineExecutionId: `exec-${randomUUID()}`,
        stage: { name: category === 'Source' ? 'Source' : 'Build' },
        action: { name: `${provider}Action`, actionExecutionId: jobId },
      },
      inputArtifacts: (shape.inputArtifacts ?? []).map((a) => ({ name: a.name, location: a.location })),
      outputArtifacts: (shape.outputArtifacts ?? []).map((name) => ({ name })),
      attempt: 1,
      timeoutInMinutes: shape.timeoutInMinutes ?? 10,
    },
  });
}
