import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/**
 * In-process wake-ups after a commit (new events, new deliveries), so streams and the worker react
 * at once; they also poll, which covers other replicas and anything missed.
 */
@Injectable()
export class Signals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(topic: 'events' | 'deliveries'): void {
    this.emitter.emit(topic);
  }

  /** Resolves on the next notify of the topic, after timeoutMs, or when aborted. */
  wait(topic: 'events' | 'deliveries', timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(topic, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.once(topic, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
