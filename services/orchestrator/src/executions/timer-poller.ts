import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '@pipewright/decider';
import { TIMER_POLL_MS } from '../config';
import { ExecutionEngine } from './execution-engine';
import { DueTimer, ExecutionTables } from './execution-tables';

/**
 * Fires due timers. Timers are rows, so they outlive the process: after a restart the overdue
 * ones fire at once (late, never lost). Claiming deletes the row in the firing transaction, so a
 * timer fires once even with several instances, and again only if that transaction rolls back.
 */
@Injectable()
export class TimerPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('timers');
  private handle?: NodeJS.Timeout;
  private tick?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly tables: ExecutionTables,
    private readonly engine: ExecutionEngine,
  ) {}

  onApplicationBootstrap(): void {
    const loop = () => {
      if (this.stopped) return;
      this.tick = this.fireDue()
        .catch((error) => this.logger.error(`timer poll failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          if (!this.stopped) this.handle = setTimeout(loop, TIMER_POLL_MS);
        });
    };
    loop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.handle);
    await this.tick;
  }

  private async fireDue(): Promise<void> {
    const now = new Date();
    for (const timer of await this.tables.due(now, 100)) {
      if (this.stopped) return;
      await this.fire(timer, now.toISOString());
    }
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
