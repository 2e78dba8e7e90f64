import { createLogger } from '@pipewright/telemetry';
import { Kafka, logLevel, Partitioners, type Admin, type Producer, type RetryOptions } from 'kafkajs';
import { encodeCloudEvent, type CloudEvent } from './cloudevents';
import { retry } from './backoff';
import { consumerLag, type PartitionLag } from './consumer-lag';
import { waitForKafka, type ConnectOptions } from './connect';
import { MessagingNotRunning } from './errors';
import { kafkaLogCreator, type MessagingLogger } from './logger';
import { ConsumerSubscription, startFromBeginning, type SubscribeOptions, type Subscription } from './subscription';
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
  /** kafkajs' retry settings for this client's requests and consumers (default: kafkajs' own). */
  retry?: RetryOptions;
}

export interface OutgoingEvent {
  /** The pipeline name: every event of one pipeline lands on one partition, in order. */
  key: string;
  event: CloudEvent;
}

type State = 'new' | 'starting' | 'running' | 'closed';

/** A healthy admin.setOffsets joins an empty group and fetches once: well under a second here. */
const SET_OFFSETS_LIMIT_MS = 15_000;

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
      retry: options.retry,
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
    // A start that hangs inside kafkajs (seen once on a shared broker) leaves a service unready with
    // nothing in its log: this says where each group waits, until subscribe() returns.
    let phase = () => 'creating its topics';
    const began = Date.now();
    const stillStarting = setInterval(() => {
      const seconds = Math.round((Date.now() - began) / 1000);
      this.logger.warn({ groupId: options.groupId, waitingOn: phase(), seconds }, `consumer group ${options.groupId} still starting after ${seconds} s: ${phase()}`);
    }, options.stillStartingLogMs ?? 30_000);
    try {
      await this.ensureTopics([
        ...options.topics.map((name) => ({ name, partitions: configured.get(name) ?? partitions })),
        ...options.topics.map((name) => ({ name: deadLetterTopic(name, options.groupId), partitions: DEAD_LETTER_PARTITIONS })),
      ]);
      phase = () => "committing its start at the topics' ends";
      if (!(options.fromBeginning ?? startFromBeginning())) await this.pinStartAtEnd(options.groupId, options.topics);
      const subscription = new ConsumerSubscription(this.kafka, this.producer, this.logger, options, (closed) => this.subscriptions.delete(closed));
      phase = () => subscription.phase;
      this.subscriptions.add(subscription);
      try {
        await subscription.start();
      } catch (error) {
        this.subscriptions.delete(subscription);
        throw error;
      }
      return subscription;
    } finally {
      clearInterval(stillStarting);
    }
  }

  /** The lag of this client's consumer groups on their topics' partitions (for the consumer-lag gauge). */
  async consumerLag(): Promise<PartitionLag[]> {
    if (this.state !== 'running') return [];
    const groups = new Map<string, string[]>();
    for (const subscription of this.subscriptions) groups.set(subscription.groupId, [...new Set([...(groups.get(subscription.groupId) ?? []), ...subscription.topics])]);
    return consumerLag(this.admin, groups);
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

  /**
   * A group starting at the topic's end records that end as its committed offset before it joins:
   * otherwise a member that dies before its first commit leaves nothing committed, and its successor
   * would resolve `latest` again and skip what was published in between.
   */
  private async pinStartAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
    // Topics created a moment ago may not be in the broker's metadata yet: kafkajs then fails in
    // several ways (some not marked retriable), so the whole step is retried for a while.
    await retry(async () => {
      const committed = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
      for (const { topic, partitions } of committed) {
        const unset = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
        if (unset.size === 0) continue;
        const ends = (await this.admin.fetchTopicOffsets(topic)).filter((p) => unset.has(p.partition));
        if (ends.length !== unset.size) throw new Error(`the end offsets of ${topic} are not known yet`);
        try {
          await this.setOffsetsBounded(groupId, topic, ends.map((p) => ({ partition: p.partition, offset: p.high })));
        } catch (error) {
          // Another member is active: the group is already positioned and committing.
          if ((error as { type?: string }).type !== 'UNKNOWN_MEMBER_ID' && !/member|rebalanc|group/i.test(String((error as Error).message))) throw error;
          this.logger.warn({ groupId, topic, error: (error as Error).message }, 'start offsets of an active group left to the group');
        }
      }
    }, { attempts: 10, signal: this.shutdown.signal });
  }

  /**
   * kafkajs' admin.setOffsets joins the group with a hidden consumer on the admin's connections and
   * resolves on its first fetch. When that consumer crashes while joining (a TypeError inside kafkajs
   * on fresh topics, seen in CI), it disconnects those connections and setOffsets never settles: the
   * service hung in boot for good. So each commit gets an admin client of its own and a time bound;
   * past it the attempt fails and pinStartAtEnd tries again.
   */
  private async setOffsetsBounded(groupId: string, topic: string, partitions: { partition: number; offset: string }[]): Promise<void> {
    const admin = this.kafka.admin();
    let timer: NodeJS.Timeout | undefined;
    try {
      await admin.connect();
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`committing the start offsets of group ${groupId} on ${topic} did not finish within ${SET_OFFSETS_LIMIT_MS} ms`)), SET_OFFSETS_LIMIT_MS);
      });
      const setting = admin.setOffsets({ groupId, topic, partitions });
      setting.catch(() => undefined); // it may still fail after the bound; the race below reports it otherwise
      await Promise.race([setting, late]);
    } finally {
      clearTimeout(timer);
      // Not awaited: after such a crash the disconnect may wait on a request that never ends.
      void admin.disconnect().catch(() => undefined);
    }
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new MessagingNotRunning(`messaging is ${this.state === 'closed' ? 'closed' : 'not started'}: call start() first`);
  }
}
