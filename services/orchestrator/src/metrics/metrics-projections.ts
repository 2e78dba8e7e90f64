import { Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ProjectionRunner } from '@pipewright/event-store';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { UNANNOUNCED_POLL_MS } from '../config';
import { ExecutionEngine } from '../executions/execution-engine';
import { DoraProjection } from './dora.projection';
import { ExecutionMetricsProjection } from './execution-metrics.projection';

/** Keeps the metrics projections following the log while the service runs. */
@Injectable()
export class MetricsProjections implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private runner?: ProjectionRunner;

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly engine: ExecutionEngine,
    private readonly dora: DoraProjection,
    private readonly executionMetrics: ExecutionMetricsProjection,
  ) {}

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    await this.dora.createTable(store.query, store.schema);
    await this.startAtEnd(this.executionMetrics.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    const store = await this.infrastructure.store();
    // Woken by this process's commits, a burst of them costing one catch-up per 250 ms.
    const runner = new ProjectionRunner(store, { pollIntervalMs: UNANNOUNCED_POLL_MS, wakeDelayMs: 250 });
    this.runner = runner;
    this.engine.afterCommit(() => runner.wake());
    runner.start([this.dora, this.executionMetrics]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner?.stop();
  }

  /** The DORA read model as of now: applies what the log holds beyond its checkpoint first. */
  async doraCaughtUp(): Promise<DoraProjection> {
    if (this.runner) await this.runner.catchUp(this.dora);
    return this.dora;
  }

  /**
   * Counters describe what happened while exported: the first run of the metrics projection in a
   * schema starts at the log's end instead of counting its whole history.
   */
  private async startAtEnd(name: string): Promise<void> {
    const store = await this.infrastructure.store();
    const t = store.tables;
    await store.query(
      `INSERT INTO ${t.projectionCheckpoints} (name, transaction_id, position)
       SELECT $1, transaction_id, position FROM ${t.events} ORDER BY transaction_id DESC, position DESC LIMIT 1
       ON CONFLICT (name) DO NOTHING`,
      [name],
    );
  }
}
