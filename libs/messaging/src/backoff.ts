/** Exponential backoff: initial, doubled per attempt, capped. attempt counts from 1. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/** Waits ms, or less when the signal aborts (shutdown should not sit out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryOptions {
  /** Calls in all, the first included. */
  attempts: number;
  initialMs?: number;
  maxMs?: number;
  /** Whether an error is worth another attempt (default: every error). */
  retryable?: (error: unknown) => boolean;
  /** Stops retrying (the last error is thrown) and cuts a backoff short. */
  signal?: AbortSignal;
}

/** kafkajs marks the errors a later attempt may not meet (e.g. a topic without a leader yet). */
export const isRetriable = (error: unknown): boolean => (error as { retriable?: boolean } | undefined)?.retriable === true;

/** Calls `operation` until it resolves, with exponential backoff between attempts (100 ms doubling to 2 s by default). */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || options.signal?.aborted || !(options.retryable?.(error) ?? true)) throw error;
      await sleep(backoffDelay(attempt, options.initialMs ?? 100, options.maxMs ?? 2_000), options.signal);
    }
  }
}
