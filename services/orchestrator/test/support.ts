import { randomUUID } from 'node:crypto';
import { eventCatalog, isEventType, jobV1, timestampFromDate } from '@pipewright/contracts';
import { CONTENT_TYPE_PROTOBUF, decodeCloudEvent, encodeCloudEvent, ensureTopics, positioned, topicCatalog, Topics } from '@pipewright/messaging';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { eventually, freePort } from '@pipewright/testing';
export { eventually, freePort };

/** Waits for a condition that other processes make true; fails with `what` when it never does. */
export type RequestedJob = jobV1.JobRequested & { pipelineName: string };

/**
 * The test plays the job worker: it reads JobRequested from the job-requests topic and reports
 * on the job-events topic as a real worker does (CloudEvents, binary mode, keyed by pipeline).
 */
export class JobWorkerDouble {
  readonly jobs: RequestedJob[] = [];
  /** What the orchestrator published on the execution-events topic, decoded. */
  readonly executionEvents: { pipelineName: string; type: string; data: any }[] = [];
  readonly cancelled: jobV1.JobCancelled[] = [];
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;

  constructor(brokers: string[], private readonly groupId: string) {
    this.kafka = new Kafka({ brokers, clientId: groupId, logLevel: logLevel.NOTHING });
  }

  async start(): Promise<void> {
    // On a fresh broker the services may not have created the platform's topics yet.
    const admin = this.kafka.admin();
    await admin.connect();
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    try {
      await ensureTopics(admin, topicCatalog(), quiet);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    // From the end: the tests' pipelines are new, and earlier suites' history on the shared topics
    // would only delay the first job. Positioned before start() returns, so nothing later is missed.
    await this.consumer.subscribe({ topics: [Topics.JobRequests, Topics.ExecutionEvents], fromBeginning: false });
    const joined = positioned(this.consumer, 60_000);
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const event = decodeCloudEvent(message);
        if (topic === Topics.ExecutionEvents && isEventType(event.type)) {
          this.executionEvents.push({ pipelineName: event.subject ?? '', type: event.type, data: eventCatalog[event.type].decode(event.data) });
          return;
        }
        if (event.type === 'pipewright.job.v1.JobCancelled') this.cancelled.push(jobV1.JobCancelled.decode(event.data));
        if (event.type !== 'pipewright.job.v1.JobRequested') return;
        const job = jobV1.JobRequested.decode(event.data);
        this.jobs.push({ ...job, pipelineName: job.data?.pipelineContext?.pipelineName ?? '' });
      },
    });
    if (!(await joined)) throw new Error(`the test worker's group ${this.groupId} did not join within 60 s`);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  jobsOf(pipelineName: string, actionName?: string): RequestedJob[] {
    return this.jobs.filter((j) => j.pipelineName === pipelineName && (!actionName || j.data?.pipelineContext?.action?.name === actionName));
  }

  /** The newest job of an action, once it was requested. */
  job(pipelineName: string, actionName: string, attempt = 1): Promise<RequestedJob> {
    return eventually(`a JobRequested for ${pipelineName}/${actionName} attempt ${attempt}`, () => this.jobsOf(pipelineName, actionName).find((j) => j.data?.attempt === attempt), 60_000);
  }

  acknowledge(job: RequestedJob) {
    const message = jobV1.JobAcknowledged.fromPartial({ job: ref(job), nonce: job.nonce, workerId: 'test-worker', time: timestampFromDate(new Date()) });
    return this.send(job, 'pipewright.job.v1.JobAcknowledged', jobV1.JobAcknowledged.encode(message).finish());
  }

  /** A progress report of a long job: the orchestrator hands the job out again carrying the token. */
  continue(job: RequestedJob, continuationToken: string) {
    const message = jobV1.JobSucceeded.fromPartial({ job: ref(job), nonce: job.nonce, continuationToken, executionDetails: { summary: `at ${continuationToken}` }, time: timestampFromDate(new Date()) });
    return this.send(job, 'pipewright.job.v1.JobSucceeded', jobV1.JobSucceeded.encode(message).finish());
  }

  succeed(job: RequestedJob) {
    const outputArtifacts = (job.data?.outputArtifacts ?? []).map((a) => ({ name: a.name, location: { artifactId: `art-${a.name}`, sha256: 'a'.repeat(64), sizeBytes: '1' } }));
    const message = jobV1.JobSucceeded.fromPartial({ job: ref(job), outputArtifacts, executionDetails: { summary: 'done by the test' }, time: timestampFromDate(new Date()) });
    return this.send(job, 'pipewright.job.v1.JobSucceeded', jobV1.JobSucceeded.encode(message).finish());
  }

  heartbeat(job: RequestedJob, id?: string) {
    const message = jobV1.JobHeartbeat.fromPartial({ job: ref(job), workerId: 'test-worker', executionDetails: { summary: 'working' }, time: timestampFromDate(new Date()) });
    return this.send(job, 'pipewright.job.v1.JobHeartbeat', jobV1.JobHeartbeat.encode(message).finish(), id);
  }

  fail(job: RequestedJob, text: string) {
    const message = jobV1.JobFailed.fromPartial({ job: ref(job), failureDetails: { type: 'JobFailed', message: text }, time: timestampFromDate(new Date()) });
    return this.send(job, 'pipewright.job.v1.JobFailed', jobV1.JobFailed.encode(message).finish());
  }

  /** Sends an already-sent CloudEvent again, same id: the orchestrator must ignore the duplicate. */
  send(job: RequestedJob, type: string, data: Uint8Array, id: string = randomUUID()): Promise<string> {
    return this.publish(Topics.JobEvents, job.pipelineName, type, data, id);
  }

  /** A CloudEvent in binary mode keyed by pipeline, as every Pipewright producer writes it. */
  async publish(topic: string, pipelineName: string, type: string, data: Uint8Array, id: string = randomUUID()): Promise<string> {
    const { value, headers } = encodeCloudEvent({ id, type, source: '/test/job-worker', time: new Date(), subject: pipelineName, datacontenttype: CONTENT_TYPE_PROTOBUF, data });
    await this.producer!.send({ topic, messages: [{ key: pipelineName, value, headers }] });
    return id;
  }
}

function ref(job: RequestedJob): jobV1.JobRef {
  const context = job.data?.pipelineContext;
  return {
    jobId: job.jobId,
    pipelineName: job.pipelineName,
    pipelineExecutionId: context?.pipelineExecutionId ?? '',
    stageName: context?.stage?.name ?? '',
    actionName: context?.action?.name ?? '',
    attempt: job.data?.attempt ?? 0,
  };
}
