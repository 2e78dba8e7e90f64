import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A sleep that ring() ends early. A ring while nobody waits is kept for the next wait, so a commit
 * that lands while its follower is busy is not missed; clear() forgets it once the follower looks.
 */
export class Doorbell {
  private rung = false;
  private answer: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.answer?.();
  }

  /** Forgets rings so far: the follower is about to read everything they announced. */
  clear(): void {
    this.rung = false;
  }

  /**
   * Waits up to `ms`, until `stop` aborts, or (when `answer`) until a ring; true when it answered a
   * ring. A wait that does not answer leaves rings for the next one.
   */
  async wait(ms: number, stop: AbortSignal, answer = true): Promise<boolean> {
    if (stop.aborted || (answer && this.rung)) return answer && this.take();
    const rang = new AbortController();
    if (answer) this.answer = () => rang.abort();
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([stop, rang.signal]) });
    } catch {
      // stopped or rung
    } finally {
      this.answer = undefined;
    }
    return answer && this.take();
  }

  private take(): boolean {
    const rung = this.rung;
    this.rung = false;
    return rung;
  }
}
