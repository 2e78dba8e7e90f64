import { context } from '@opentelemetry/api';
import type { Consumer, ConsumerRunConfig, EachBatchPayload, EachMessagePayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { backoffDelay, isRetriable, retry, sleep } from './backoff';
import { decodeCloudEvent, type CloudEvent } from './cloudevents';
import { MalformedMessage } from './errors';
import { positioned } from './positioned';
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

/**
 * Handles several consecutive messages of one partition at once (e.g. in one transaction). It must
 * be all-or-nothing: when it throws, each message is handled again alone by `handler`, with the
 * usual retries and dead letters, so one bad message cannot hold the others back.
 */
export type BatchHandler = (received: readonly ReceivedEvent[]) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: EventHandler;
  /** When given, fetched messages go to it in runs of up to maxBatchSize, with one offset commit per run. */
  batchHandler?: BatchHandler;
  /** Messages per batchHandler call (default 100). */
  maxBatchSize?: number;
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
  /**
   * How long subscribe() waits for the member to join and position itself (default 20 s), so a
   * service reports SERVING only once its consumers read; past it subscribe() returns and the
   * member goes on joining (a dead member's session can hold a rebalance for 30 s).
   */
  joinWaitMs?: number;
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
      // kafkajs gives up on some crashes for good (a TypeError inside it, any non-retriable error):
      // the member would stay out of the group and its partitions unconsumed until the process restarts.
      if (!payload.restart) void this.restartAfterCrash();
    });
  }

  /** Joins the group again after a crash kafkajs does not recover from, backing off while it keeps failing. */
  private async restartAfterCrash(): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      await sleep(backoffDelay(attempt, 1_000, 30_000), this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      try {
        // The crash disconnected the consumer; its subscriptions are kept, so connect and run suffice.
        await this.consumer.connect();
        await this.consumer.run(this.runConfig());
        // close() may have run meanwhile: it must not leave a consumer this restart started.
        if (this.stopping.signal.aborted) return void (await this.consumer.disconnect());
        this.logger.warn({ groupId: this.groupId, attempt }, `Kafka consumer of group ${this.groupId} restarted after a crash`);
        return;
      } catch (error) {
        this.logger.error({ groupId: this.groupId, attempt, error: errorText(error) }, `Kafka consumer of group ${this.groupId} could not restart yet`);
      }
    }
  }

  private runConfig(): ConsumerRunConfig {
    return {
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      ...(this.options.batchHandler
        ? { eachBatchAutoResolve: false, eachBatch: (payload: EachBatchPayload) => this.track(this.processBatch(payload, this.options.batchHandler!)) }
        : { eachMessage: (payload: EachMessagePayload) => this.track(this.process(payload)) }),
    };
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    try {
      // A topic created a moment ago (by another process) may have no leader yet: a retriable error.
      await retry(() => this.consumer.subscribe({ topics: [...this.topics], fromBeginning: this.options.fromBeginning ?? startFromBeginning() }), { attempts: 10, retryable: isRetriable });
      const joinWaitMs = this.options.joinWaitMs ?? 20_000;
      const ready = positioned(this.consumer, joinWaitMs);
      await this.consumer.run(this.runConfig());
      if (!(await ready)) this.logger.warn({ groupId: this.groupId, joinWaitMs }, `consumer group ${this.groupId} has not joined yet; going on while it joins`);
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
      try {
        this.consumer.pause(this.topics.map((topic) => ({ topic })));
      } catch {
        // A consumer that crashed (and waits for its restart, which stopping cancels) runs nothing to pause.
      }
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

  private async processBatch({ batch, heartbeat, pause, isRunning, isStale, resolveOffset }: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { topic, partition } = batch;
    const size = Math.max(1, this.options.maxBatchSize ?? 100);
    for (let from = 0; from < batch.messages.length; from += size) {
      if (this.stopping.signal.aborted || !isRunning() || isStale()) {
        // Not committed: the group's next member (or this one after a rebalance) gets them again.
        pause();
        return;
      }
      const run = batch.messages.slice(from, from + size);
      const received: ReceivedEvent[] = [];
      for (const message of run) {
        try {
          const key = message.key === null ? null : message.key.toString('utf8');
          received.push({ topic, partition, offset: message.offset, key, event: decodeCloudEvent(message), headers: message.headers ?? {}, attempt: 1 });
        } catch (error) {
          await this.deadLetter(topic, partition, message, error, 0);
        }
      }
      let handled = received.length === 0;
      if (!handled) {
        try {
          // The run continues the first message's trace; handlers that need each message's own use its headers.
          await context.with(consumeContext(received[0]!.headers), () => handler(received));
          handled = true;
        } catch (error) {
          this.logger.warn({ groupId: this.groupId, topic, partition, from: run[0]!.offset, count: run.length, error: errorText(error) }, 'batch handler failed; handling the messages one by one');
        }
      }
      if (!handled) {
        const decoded = new Set(received.map((r) => r.offset));
        for (const message of run) {
          if (!decoded.has(message.offset)) continue;
          if ((await this.deliver({ topic, partition, message, heartbeat })) === 'stopped') {
            pause();
            return;
          }
        }
      }
      const last = run[run.length - 1]!.offset;
      // resolveOffset moves the member's own fetch position; commitOffsets records it for the group.
      resolveOffset(last);
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    }
  }

  private async deliver({ topic, partition, message, heartbeat }: Pick<EachMessagePayload, 'topic' | 'partition' | 'message' | 'heartbeat'>): Promise<Outcome> {
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
