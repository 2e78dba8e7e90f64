import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '@pipewright/decider';
import { UNANNOUNCED_POLL_MS } from '../config';
import { ExecutionEngine } from './execution-engine';
import { DueTimer, ExecutionTables } from './execution-tables';

/** How many due timers one look fires before it looks again. */
const FIRE_BATCH = 100;
/** After a failed look (e.g. PostgreSQL away), the next one. */
const RETRY_MS = 1_000;

/**
 * Fires due timers. Timers are rows, so they outlive the process: after a restart the overdue
 * ones fire at once (late, never lost). Claiming deletes the row in the firing transaction, so a
 * timer fires once even with several instances, and again only if that transaction rolls back.
 *
 * It sleeps until the earliest timer is due, and this process's commits tell it of the timers
 * they schedule; it also looks every UNANNOUNCED_POLL_MS for timers scheduled elsewhere.
 */
@Injectable()
export class TimerPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('timers');
  private handle?: NodeJS.Timeout;
  /** When the pending wake-up is set for (epoch ms). */
  private wakeAt = Infinity;
  private tick?: Promise<void>;
  /** The earliest fire time announced while a look ran: the look may have missed it. */
  private announcedDuringTick = Infinity;
  private stopped = false;

  constructor(
    private readonly tables: ExecutionTables,
    private readonly engine: ExecutionEngine,
  ) {}

  onApplicationBootstrap(): void {
    this.engine.afterCommit((unit) => {
      for (const timer of unit.timers) this.announce(Date.parse(timer.fireAt));
    });
    this.look();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.handle);
    await this.tick;
  }

  private announce(fireAt: number): void {
    if (this.tick) this.announcedDuringTick = Math.min(this.announcedDuringTick, fireAt);
    else this.wakeUpAt(fireAt);
  }

  private wakeUpAt(at: number): void {
    if (this.stopped || at >= this.wakeAt) return;
    clearTimeout(this.handle);
    this.wakeAt = at;
    // setTimeout's limit is ~24.8 days; the unannounced poll comes long before that anyway.
    this.handle = setTimeout(() => this.look(), Math.max(0, at - Date.now()));
  }

  private look(): void {
    if (this.stopped) return;
    clearTimeout(this.handle);
    this.wakeAt = Infinity;
    this.tick = this.fireDue()
      .catch((error) => {
        this.logger.error(`timer poll failed: ${error instanceof Error ? error.message : String(error)}`);
        return Date.now() + RETRY_MS;
      })
      .then((next) => {
        this.tick = undefined;
        const announced = this.announcedDuringTick;
        this.announcedDuringTick = Infinity;
        this.wakeUpAt(Math.min(next, announced, Date.now() + UNANNOUNCED_POLL_MS));
      });
  }

  /** Fires what is due; returns when to look next (at once when more were due than one batch). */
  private async fireDue(): Promise<number> {
    const now = new Date();
    const { due, nextFireAt } = await this.tables.due(now, FIRE_BATCH);
    for (const timer of due) {
      if (this.stopped) break;
      await this.fire(timer, now.toISOString());
    }
    return nextFireAt?.getTime() ?? Infinity;
  }

  private async fire(timer: DueTimer, now: string): Promise<void> {
    try {
      await this.engine.run(
        { kind: 'execution', pipelineExecutionId: timer.pipelineExecutionId, command: { type: 'FireTimer', data: { timerId: timer.timerId, payload: timer.payload, now } } },
        { before: (tx) => this.tables.claim(tx.query, timer), cause: { causationId: `timer:${timer.timerId}`, actor: 'pipewright:timer' } },
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // The execution refuses it (e.g. it no longer exists): firing again would refuse again.
      this.logger.warn(`timer ${timer.timerId} refused: ${error.name}: ${error.message}`);
      await this.tables.discard(timer);
    }
  }
}
