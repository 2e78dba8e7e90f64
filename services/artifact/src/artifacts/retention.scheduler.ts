import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { BlobStore } from '@pipewright/artifact-store';
import { RETENTION_CONFIG_TOKEN, RETENTION_BLOB_STORE } from './retention.tokens';
import { RetentionConfig } from './retention-config';
import { runRetentionPass } from './retention-pass';
import { RETENTION_REPOSITORY, RetentionRepository } from './retention-repository';

/** Runs a retention pass every interval, one at a time; shutdown waits for the pass under way. */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(RETENTION_CONFIG_TOKEN) private readonly config: RetentionConfig,
    @Inject(RETENTION_REPOSITORY) private readonly repository: RetentionRepository,
    @Inject(RETENTION_BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  onApplicationBootstrap(): void {
    const { intervalMillis, maxAgeMillis, keepExecutions, graceMillis } = this.config;
    if (intervalMillis === undefined) return;
    this.logger.log(
      `retention pass every ${intervalMillis} ms (max age ${maxAgeMillis ?? 'none'} ms, keep executions ${keepExecutions ?? 'all'}, blob grace ${graceMillis} ms)`,
    );
    this.schedule(intervalMillis);
  }

  // Before shutdown, not during it: the pass under way still has its database connection.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => this.schedule(this.config.intervalMillis!));
    }, delay);
  }

  private async pass(): Promise<void> {
    try {
      const report = await runRetentionPass(this.repository, this.blobs, this.config, new Date());
      if (report.expiredArtifacts + report.supersededArtifacts + report.removedBlobs > 0) this.logger.log(`retention pass: ${JSON.stringify(report)}`);
    } catch (error) {
      // The next pass retries; one failure (database restarting) must not stop retention for good.
      this.logger.warn(`retention pass failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
