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
  /** While subscribe() has not returned, a warning names the step it waits on every this often (default 30 s). */
  stillStartingLogMs?: number;
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

/** Longer than the longest healthy join (waiting out a dead member's 30 s session). */
const RUN_START_LIMIT_MS = 35_000;

class ConsumerDidNotStart extends Error {
  constructor(limitMs: number) {
    super(`kafkajs did not start the consumer within ${limitMs} ms`);
  }
}

/**
 * One consumer group member. Offsets are committed only after the handler succeeded or the message
 * was dead-lettered, so a crash redelivers rather than loses (handlers are idempotent). A failing
 * handler is retried with backoff in place, keeping the partition's order; after maxAttempts the
 * message goes to `<topic>.<groupId>.dlq` and the partition moves on.
 */
export class ConsumerSubscription implements Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Replaced by a fresh one when kafkajs leaves it dead (see replaceConsumer). */
  private consumer: Consumer;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private closed?: Promise<void>;
  private replacing = false;
  /** Disconnects of replaced consumers, which may never end: close() waits a little for them. */
  private readonly abandoned = new Set<Promise<unknown>>();
  /** What start() waits on now, for the still-starting warning. */
  phase = 'not started';

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly logger: MessagingLogger,
    private readonly options: SubscribeOptions,
    private readonly onClosed: (subscription: ConsumerSubscription) => void,
  ) {
    this.groupId = options.groupId;
    this.topics = [...options.topics];
    this.consumer = this.newConsumer();
  }

  private newConsumer(): Consumer {
    // A short fetch long-poll bounds how long close() waits for the fetch in flight.
    const consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (consumer === this.consumer) return;
      // A replaced consumer whose join went through after all would hold partitions nobody reads: it leaves.
      this.logger.warn({ groupId: this.groupId }, `a replaced Kafka consumer of group ${this.groupId} joined late; it leaves the group`);
      this.abandoned.add(consumer.disconnect().catch(() => undefined));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ groupId: this.groupId, error: payload.error.message, restart: payload.restart }, `Kafka consumer of group ${this.groupId} crashed`);
      // kafkajs gives up on some crashes for good (a TypeError inside it, any non-retriable error):
      // the member would stay out of the group and its partitions unconsumed until the process restarts.
      if (!payload.restart && consumer === this.consumer) void this.replaceConsumer('it crashed');
    });
    return consumer;
  }

  /**
   * Subscribes and runs `consumer`. kafkajs' run() returns once the member has joined, but can stay
   * pending for good when it crashes while joining (its own disconnect then waits on a request that
   * never ends; seen in CI on fresh topics), so the wait is bounded: a run that has not returned by
   * then counts as failed. A healthy join waits at most for a dead member's session (30 s).
   */
  private async runConsumer(consumer: Consumer): Promise<void> {
    this.phase = 'connecting its consumer';
    await consumer.connect();
    this.phase = 'subscribing to its topics';
    // A topic created a moment ago (by another process) may have no leader yet: a retriable error.
    await retry(() => consumer.subscribe({ topics: [...this.topics], fromBeginning: this.options.fromBeginning ?? startFromBeginning() }), { attempts: 10, retryable: isRetriable });
    this.phase = 'joining the group (consumer.run)';
    const running = consumer.run(this.runConfig(consumer));
    running.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ConsumerDidNotStart(RUN_START_LIMIT_MS)), RUN_START_LIMIT_MS)));
    try {
      await Promise.race([running, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Puts a fresh consumer in the place of one kafkajs left dead or hanging, backing off from 1 s to
   * 30 s while that fails. The old one is disconnected without waiting: its disconnect may hang too.
   */
  private async replaceConsumer(reason: string): Promise<void> {
    if (this.replacing) return;
    this.replacing = true;
    try {
      for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
        await sleep(backoffDelay(attempt, 1_000, 30_000), this.stopping.signal);
        if (this.stopping.signal.aborted) return;
        this.abandoned.add(this.consumer.disconnect().catch(() => undefined));
        const fresh = (this.consumer = this.newConsumer());
        try {
          await this.runConsumer(fresh);
          // close() may have run meanwhile: it must not leave a consumer this restart started.
          if (this.stopping.signal.aborted) return void (await fresh.disconnect());
          this.logger.warn({ groupId: this.groupId, attempt, reason }, `Kafka consumer of group ${this.groupId} replaced: ${reason}`);
          return;
        } catch (error) {
          this.logger.error({ groupId: this.groupId, attempt, error: errorText(error) }, `Kafka consumer of group ${this.groupId} could not restart yet`);
        }
      }
    } finally {
      this.replacing = false;
    }
  }

  /** Each batch commits through the consumer that fetched it. */
  private runConfig(consumer: Consumer): ConsumerRunConfig {
    return {
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      ...(this.options.batchHandler
        ? { eachBatchAutoResolve: false, eachBatch: (payload: EachBatchPayload) => this.track(this.processBatch(consumer, payload, this.options.batchHandler!)) }
        : { eachMessage: (payload: EachMessagePayload) => this.track(this.process(consumer, payload)) }),
    };
  }

  async start(): Promise<void> {
    const joinWaitMs = this.options.joinWaitMs ?? 20_000;
    const ready = positioned(this.consumer, joinWaitMs);
    try {
      await this.runConsumer(this.consumer);
    } catch (error) {
      // Refused outright (a subscribe that kept failing): the caller learns it. Hung in kafkajs: replaced.
      if (!(error instanceof ConsumerDidNotStart)) {
        await this.consumer.disconnect().catch(() => undefined);
        throw error;
      }
      this.logger.warn({ groupId: this.groupId, limitMs: RUN_START_LIMIT_MS }, `consumer group ${this.groupId} did not start in time; replacing its consumer`);
      void this.replaceConsumer('it did not start in time');
      return;
    }
    this.phase = 'waiting for the first fetch';
    if (!(await ready)) this.logger.warn({ groupId: this.groupId, joinWaitMs }, `consumer group ${this.groupId} has not joined yet; going on while it joins`);
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
      await Promise.race([Promise.all(this.abandoned), sleep(5_000)]);
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

  private async process(consumer: Consumer, payload: EachMessagePayload): Promise<void> {
    const outcome = await this.deliver(payload);
    if (outcome === 'stopped') {
      // Not committed: the group's next member gets this message again. pause() ends the batch.
      payload.pause();
      return;
    }
    const { topic, partition, message } = payload;
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private async processBatch(consumer: Consumer, { batch, heartbeat, pause, isRunning, isStale, resolveOffset }: EachBatchPayload, handler: BatchHandler): Promise<void> {
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
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
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
