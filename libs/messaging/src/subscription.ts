import { context } from '@opentelemetry/api';
import type { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { backoffDelay, sleep } from './backoff';
import { decodeCloudEvent, type CloudEvent } from './cloudevents';
import { MalformedMessage } from './errors';
import type { MessagingLogger } from './logger';
import { deadLetterTopic } from './topics';
import { consumeContext } from './trace-context';

export interface ReceivedEvent {
  topic: string;
  partition: number;
  offset: string;
  /** The pipeline name for Pipewright topics. */
  key: string | null;
  event: CloudEvent;
  headers: IHeaders;
  /** 1 on first delivery to the handler, then 2, 3, … on retries. */
  attempt: number;
}

export type EventHandler = (received: ReceivedEvent) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: EventHandler;
  /** Handler attempts before the message goes to the dead-letter topic (default 5). */
  maxAttempts?: number;
  /** Wait before the first retry (default 500 ms), doubled per retry up to maxRetryBackoffMs (default 30 s). */
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  /**
   * Where a group with no committed offset starts. Default: PIPEWRIGHT_CONSUMER_START_FROM
   * (earliest | latest), else earliest, so a new group misses nothing.
   */
  fromBeginning?: boolean;
  /** Partitions handled at once (default 1); order within a partition is always kept. */
  partitionsConsumedConcurrently?: number;
}

export interface Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Stops consuming: the in-flight handler finishes and its offset is committed; then leaves the group. */
  close(): Promise<void>;
}

/** Headers a dead letter carries besides the original message's own. */
export const DeadLetterHeaders = {
  error: 'dlq_error',
  errorName: 'dlq_error_name',
  topic: 'dlq_original_topic',
  partition: 'dlq_original_partition',
  offset: 'dlq_original_offset',
  groupId: 'dlq_consumer_group',
  attempts: 'dlq_attempts',
  failedAt: 'dlq_failed_at',
} as const;

type Outcome = 'handled' | 'dead-lettered' | 'stopped';

/**
 * One consumer group member. Offsets are committed only after the handler succeeded or the message
 * was dead-lettered, so a crash redelivers rather than loses (handlers are idempotent). A failing
 * handler is retried with backoff in place, keeping the partition's order; after maxAttempts the
 * message goes to `<topic>.<groupId>.dlq` and the partition moves on.
 */
export class ConsumerSubscription implements Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private closed?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly producer: Producer,
    private readonly logger: MessagingLogger,
    private readonly options: SubscribeOptions,
    private readonly onClosed: (subscription: ConsumerSubscription) => void,
  ) {
    this.groupId = options.groupId;
    this.topics = [...options.topics];
    // A short fetch long-poll bounds how long close() waits for the fetch in flight.
    this.consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ groupId: this.groupId, error: payload.error.message, restart: payload.restart }, `Kafka consumer of group ${this.groupId} crashed`);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    try {
      await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: this.options.fromBeginning ?? startFromBeginning() });
      await this.consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachMessage: (payload) => this.track(this.process(payload)),
      });
    } catch (error) {
      await this.consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping.abort();
      // kafkajs drops commits once its runner is stopping, so the in-flight handlers finish and
      // commit first, with fetching paused, and only then does the consumer leave the group.
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await this.consumer.disconnect();
      this.onClosed(this);
    })();
    return this.closed;
  }

  private track(processing: Promise<void>): Promise<void> {
    this.inFlight.add(processing);
    const done = () => void this.inFlight.delete(processing);
    processing.then(done, done);
    return processing;
  }

  private async process(payload: EachMessagePayload): Promise<void> {
    const outcome = await this.deliver(payload);
    if (outcome === 'stopped') {
      // Not committed: the group's next member gets this message again. pause() ends the batch.
      payload.pause();
      return;
    }
    const { topic, partition, message } = payload;
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private async deliver({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<Outcome> {
    if (this.stopping.signal.aborted) return 'stopped';
    let event: CloudEvent;
    try {
      event = decodeCloudEvent(message);
    } catch (error) {
      await this.deadLetter(topic, partition, message, error, 0);
      return 'dead-lettered';
    }
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 5);
    const handlerContext = consumeContext(message.headers ?? {});
    const key = message.key === null ? null : message.key.toString('utf8');
    for (let attempt = 1; ; attempt++) {
      try {
        const received: ReceivedEvent = { topic, partition, offset: message.offset, key, event, headers: message.headers ?? {}, attempt };
        await context.with(handlerContext, () => this.options.handler(received));
        return 'handled';
      } catch (error) {
        if (error instanceof MalformedMessage || attempt >= maxAttempts) {
          await this.deadLetter(topic, partition, message, error, attempt);
          return 'dead-lettered';
        }
        if (this.stopping.signal.aborted) return 'stopped';
        const delay = backoffDelay(attempt, this.options.retryBackoffMs ?? 500, this.options.maxRetryBackoffMs ?? 30_000);
        this.logger.warn(
          { groupId: this.groupId, topic, partition, offset: message.offset, eventId: event.id, attempt, error: errorText(error) },
          `handler failed for ${event.type}, retrying in ${delay} ms`,
        );
        // Long retries must not look like a dead member to the group coordinator.
        await heartbeat();
        await sleep(delay, this.stopping.signal);
        if (this.stopping.signal.aborted) return 'stopped';
        await heartbeat();
      }
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number): Promise<void> {
    const dlq = deadLetterTopic(topic, this.groupId);
    const reason = errorText(error);
    await this.producer.send({
      topic: dlq,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DeadLetterHeaders.error]: reason,
            [DeadLetterHeaders.errorName]: error instanceof Error ? error.name : typeof error,
            [DeadLetterHeaders.topic]: topic,
            [DeadLetterHeaders.partition]: String(partition),
            [DeadLetterHeaders.offset]: message.offset,
            [DeadLetterHeaders.groupId]: this.groupId,
            [DeadLetterHeaders.attempts]: String(attempts),
            [DeadLetterHeaders.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
    this.logger.error(
      { groupId: this.groupId, topic, partition, offset: message.offset, attempts, error: reason, deadLetterTopic: dlq },
      `message sent to dead-letter topic ${dlq}: ${reason}`,
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The operator's choice for new consumer groups; tests on a shared broker start at the end. */
export function startFromBeginning(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.PIPEWRIGHT_CONSUMER_START_FROM;
  if (value === undefined || value === '' || value === 'earliest') return true;
  if (value === 'latest') return false;
  throw new Error(`PIPEWRIGHT_CONSUMER_START_FROM must be earliest or latest, got "${value}"`);
}
