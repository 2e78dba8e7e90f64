import { Kafka, logLevel } from 'kafkajs';
import { backoffDelay, sleep } from './backoff';
import { KafkaUnreachable } from './errors';
import type { MessagingLogger } from './logger';

export interface ConnectOptions {
  /** Give up after this long (default 60 s). */
  deadlineMs?: number;
  /** First wait between attempts (default 500 ms), doubled up to maxBackoffMs (default 8 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Waits until a broker answers, with bounded retries and exponential backoff, or throws
 * KafkaUnreachable. Probes with a silent, non-retrying client so the only log lines are ours.
 */
export async function waitForKafka(brokers: string[], options: ConnectOptions, logger: MessagingLogger, signal?: AbortSignal): Promise<void> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const initialMs = options.initialBackoffMs ?? 500;
  const maxMs = options.maxBackoffMs ?? 8_000;
  const deadline = Date.now() + deadlineMs;
  const address = brokers.join(',');
  const probe = new Kafka({
    clientId: 'pipewright-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: Math.min(3_000, deadlineMs),
  }).admin();

  for (let attempt = 1; ; attempt++) {
    try {
      await probe.connect();
      await probe.describeCluster();
      await probe.disconnect();
      return;
    } catch (error) {
      await probe.disconnect().catch(() => undefined);
      const reason = (error as Error).message;
      const delay = backoffDelay(attempt, initialMs, maxMs);
      if (signal?.aborted || Date.now() + delay > deadline) throw new KafkaUnreachable(brokers, attempt, reason);
      logger.warn({ brokers: address, attempt, error: reason }, `Kafka unreachable at ${address}, retrying in ${delay} ms`);
      await sleep(delay, signal);
    }
  }
}
