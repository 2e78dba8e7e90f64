import { randomUUID } from 'node:crypto';
import { jobV1, pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { CONTENT_TYPE_PROTOBUF, decodeCloudEvent, encodeCloudEvent, positioned, Topics } from '@pipewright/messaging';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';

export interface CompletingWorkerOptions {
  /** Only jobs of these pipelines are run: other suites share the topics. */
  accepts: (pipelineName: string) => boolean;
  /** How long a job "runs" before it is reported; 0 reports at once. */
  delayMs?: () => number;
  /** Heartbeats sent for a job between its acknowledgement and its success (to grow a stream). */
  heartbeats?: (job: jobV1.JobRequested) => number;
  /** Called with each JobRequested as it arrives (first delivery only) and when it arrived (epoch ms, sub-ms resolution). */
  onRequested?: (job: jobV1.JobRequested, atMs: number) => void;
  /** Called just before a job's success is produced (epoch ms). */
  onSucceeding?: (job: jobV1.JobRequested, atMs: number) => void;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * A job worker that runs every job it is given and succeeds it: it acknowledges with the issued
 * nonce, reports success with the job's output artifacts, and does so idempotently — a redelivered
 * JobRequested (the outbox relays at least once) is answered with the same CloudEvents again, same
 * ids, as a worker that lost track of what it had sent would.
 */
export class CompletingWorker {
  /** How often each job id was delivered. */
  readonly deliveries = new Map<string, number>();
  private readonly reports = new Map<string, { value: Buffer; headers: Record<string, string>; key: string }[]>();
  private readonly pending = new Set<Promise<void>>();
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;
  private stopped = false;

  constructor(brokers: string[], private readonly groupId: string, private readonly options: CompletingWorkerOptions) {
    this.kafka = new Kafka({ brokers, clientId: groupId, logLevel: logLevel.NOTHING });
  }

  /** Resolves once the consumer joined its group and took its start offsets: nothing requested after that is missed. */
  async start(): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.JobRequests], fromBeginning: false });
    const joined = positioned(this.consumer, 60_000);
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => {
        const event = decodeCloudEvent(message);
        if (event.type !== 'pipewright.job.v1.JobRequested') return;
        const job = jobV1.JobRequested.decode(event.data);
        const pipelineName = job.data?.pipelineContext?.pipelineName ?? '';
        if (!this.options.accepts(pipelineName)) return;
        const seen = this.deliveries.get(job.jobId) ?? 0;
        this.deliveries.set(job.jobId, seen + 1);
        if (seen === 0) this.options.onRequested?.(job, nowMs());
        this.track(this.answer(job));
      },
    });
    if (!(await joined)) throw new Error(`the test worker's group ${this.groupId} did not join within 60 s`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** ExecutionRequested on its topic, as pipeline-definition publishes it for a webhook or poll. */
  async requestExecution(pipelineName: string, declaration: pipelineV1.PipelineDeclaration, requestId: string): Promise<void> {
    const data = pipelineV1.ExecutionRequested.encode(
      pipelineV1.ExecutionRequested.fromPartial({
        pipelineName,
        pipelineVersion: 1,
        declaration,
        trigger: { triggerType: 'Webhook', triggerDetail: requestId },
        requestId,
        time: timestampFromDate(new Date()),
      }),
    ).finish();
    await this.producer!.send({ topic: Topics.ExecutionRequests, messages: [this.cloudEvent(pipelineName, 'pipewright.pipeline.v1.ExecutionRequested', data, randomUUID())] });
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    const done = () => void this.pending.delete(work);
    work.then(done, done);
  }

  private async answer(job: jobV1.JobRequested): Promise<void> {
    const delay = this.options.delayMs?.() ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.stopped) return;
    let reports = this.reports.get(job.jobId);
    const again = reports !== undefined;
    if (!reports) this.reports.set(job.jobId, (reports = this.reportsFor(job)));
    const [acknowledged, ...rest] = reports;
    const succeeded = rest.pop()!;
    // Acknowledgement and heartbeats first; the success is timed on its own.
    await this.producer!.send({ topic: Topics.JobEvents, messages: [acknowledged, ...rest] });
    if (!again) this.options.onSucceeding?.(job, nowMs());
    await this.producer!.send({ topic: Topics.JobEvents, messages: [succeeded] });
  }

  /** Acknowledged, heartbeats, succeeded: made once per job, so a repeat sends the same event ids. */
  private reportsFor(job: jobV1.JobRequested) {
    const context = job.data?.pipelineContext;
    const pipelineName = context?.pipelineName ?? '';
    const ref: jobV1.JobRef = {
      jobId: job.jobId,
      pipelineName,
      pipelineExecutionId: context?.pipelineExecutionId ?? '',
      stageName: context?.stage?.name ?? '',
      actionName: context?.action?.name ?? '',
      attempt: job.data?.attempt ?? 0,
    };
    const time = timestampFromDate(new Date());
    const acknowledged = jobV1.JobAcknowledged.encode(jobV1.JobAcknowledged.fromPartial({ job: ref, nonce: job.nonce, workerId: this.groupId, time })).finish();
    const heartbeat = () => jobV1.JobHeartbeat.encode(jobV1.JobHeartbeat.fromPartial({ job: ref, workerId: this.groupId, executionDetails: { summary: 'working' }, time })).finish();
    const outputArtifacts = (job.data?.outputArtifacts ?? []).map((a) => ({ name: a.name, location: { artifactId: `art-${job.jobId}-${a.name}`, sha256: 'a'.repeat(64), sizeBytes: '1' } }));
    const succeeded = jobV1.JobSucceeded.encode(jobV1.JobSucceeded.fromPartial({ job: ref, outputArtifacts, executionDetails: { summary: 'done' }, time })).finish();
    return [
      this.cloudEvent(pipelineName, 'pipewright.job.v1.JobAcknowledged', acknowledged, randomUUID()),
      ...Array.from({ length: this.options.heartbeats?.(job) ?? 0 }, () => this.cloudEvent(pipelineName, 'pipewright.job.v1.JobHeartbeat', heartbeat(), randomUUID())),
      this.cloudEvent(pipelineName, 'pipewright.job.v1.JobSucceeded', succeeded, randomUUID()),
    ];
  }

  /** CloudEvents in binary mode keyed by pipeline, as every Pipewright producer writes them. */
  private cloudEvent(pipelineName: string, type: string, data: Uint8Array, id: string) {
    const { value, headers } = encodeCloudEvent({ id, type, source: '/test/completing-worker', time: new Date(), subject: pipelineName, datacontenttype: CONTENT_TYPE_PROTOBUF, data });
    return { key: pipelineName, value, headers: headers as Record<string, string> };
  }
}
