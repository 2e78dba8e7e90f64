import { createLogger } from '@pipewright/telemetry';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { encodeCloudEvent, type CloudEvent } from './cloudevents';
import { waitForKafka, type ConnectOptions } from './connect';
import { MessagingNotRunning } from './errors';
import { kafkaLogCreator, type MessagingLogger } from './logger';
import { ConsumerSubscription, type SubscribeOptions, type Subscription } from './subscription';
import { DEAD_LETTER_PARTITIONS, deadLetterTopic, defaultPartitions, type TopicSpec } from './topics';
import { ensureTopics } from './topic-admin';
import { traceHeaders } from './trace-context';

export interface MessagingOptions {
  clientId: string;
  brokers: string[];
  /** Topics created at start with their partition counts (e.g. topicCatalog()). */
  topics?: TopicSpec[];
  connect?: ConnectOptions;
  /** Defaults to a JSON logger named after clientId. */
  logger?: MessagingLogger;
  /** Partitions of a subscribed topic that is neither in `topics` nor exists yet; default defaultPartitions(). */
  defaultPartitions?: number;
}

export interface OutgoingEvent {
  /** The pipeline name: every event of one pipeline lands on one partition, in order. */
  key: string;
  event: CloudEvent;
}

type State = 'new' | 'starting' | 'running' | 'closed';

/**
 * Pipewright's Kafka client, usable with or without Nest: start() connects (with retries) and creates
 * topics, publish() sends CloudEvents through an idempotent producer, subscribe() runs consumer
 * groups, close() shuts everything down gracefully.
 */
export class KafkaMessaging {
  private readonly logger: MessagingLogger;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly subscriptions = new Set<ConsumerSubscription>();
  private readonly shutdown = new AbortController();
  private state: State = 'new';
  private starting?: Promise<void>;
  private closing?: Promise<void>;

  constructor(private readonly options: MessagingOptions) {
    this.logger = options.logger ?? createLogger(options.clientId);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.INFO,
      logCreator: kafkaLogCreator(this.logger),
    });
    // One request in flight keeps send order when a batch is retried. The Java-compatible
    // partitioner puts a key on the same partition as Kafka's own clients would.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  /** Connects and creates the configured topics. Idempotent; throws KafkaUnreachable after the deadline. */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new MessagingNotRunning('messaging is closed'));
    this.starting ??= this.connect();
    return this.starting;
  }

  /** Creates the topics that do not exist yet with the given partition counts. */
  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.assertRunning();
    await ensureTopics(this.admin, specs, this.logger);
  }

  async publish(topic: string, events: OutgoingEvent | readonly OutgoingEvent[]): Promise<void> {
    this.assertRunning();
    const list = Array.isArray(events) ? (events as readonly OutgoingEvent[]) : [events as OutgoingEvent];
    if (list.length === 0) return;
    const trace = traceHeaders();
    const messages = list.map(({ key, event }) => {
      const { value, headers } = encodeCloudEvent(event);
      return { key, value, headers: { ...headers, ...trace } };
    });
    await this.producer.send({ topic, messages });
  }

  /** Runs a consumer group member; creates its topics (if missing) and their dead-letter topics first. */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertRunning();
    if (options.topics.length === 0) throw new TypeError('subscribe needs at least one topic');
    const configured = new Map((this.options.topics ?? []).map((spec) => [spec.name, spec.partitions]));
    const partitions = this.options.defaultPartitions ?? defaultPartitions();
    await this.ensureTopics([
      ...options.topics.map((name) => ({ name, partitions: configured.get(name) ?? partitions })),
      ...options.topics.map((name) => ({ name: deadLetterTopic(name, options.groupId), partitions: DEAD_LETTER_PARTITIONS })),
    ]);
    const subscription = new ConsumerSubscription(this.kafka, this.producer, this.logger, options, (closed) => this.subscriptions.delete(closed));
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.subscriptions.delete(subscription);
      throw error;
    }
    return subscription;
  }

  /** Stops every consumer (in-flight handlers finish and commit), then disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      this.shutdown.abort();
      await this.starting?.catch(() => undefined);
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
    })();
    return this.closing;
  }

  /** Nest lifecycle: called on app.close(). */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  private async connect(): Promise<void> {
    this.state = 'starting';
    try {
      await waitForKafka(this.options.brokers, this.options.connect ?? {}, this.logger, this.shutdown.signal);
      await this.admin.connect();
      await this.producer.connect();
      await ensureTopics(this.admin, this.options.topics ?? [], this.logger);
      if (this.shutdown.signal.aborted) throw new MessagingNotRunning('messaging was closed while starting');
      this.state = 'running';
      this.logger.info({ brokers: this.options.brokers.join(',') }, 'connected to Kafka');
    } catch (error) {
      await Promise.all([this.producer.disconnect(), this.admin.disconnect()]).catch(() => undefined);
      this.starting = undefined;
      if (!this.shutdown.signal.aborted) this.state = 'new';
      throw error;
    }
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new MessagingNotRunning(`messaging is ${this.state === 'closed' ? 'closed' : 'not started'}: call start() first`);
  }
}
