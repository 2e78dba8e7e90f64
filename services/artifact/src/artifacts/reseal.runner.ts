import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { resealBlobs, type BlobStore } from '@pipewright/artifact-store';
import { counter } from '@pipewright/telemetry';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESEAL_ON_START, RETENTION_BLOB_STORE } from './retention.tokens';

/** A blob that fails (say, sealed with a key no longer listed) is tried again this much later. */
const RETRY_MILLIS = 10 * 60_000;

/**
 * Reseals every blob in the background from the start (see artifactResealOnStart), and again
 * later while some fail. It says when none is left under an old key, so the operator knows
 * PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS may go. Shutdown stops it at once; the blob under way stays
 * as it was.
 */
@Injectable()
export class ResealRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('reseal');
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    @Inject(RESEAL_ON_START) private readonly enabled: boolean,
    @Inject(RETENTION_BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  onApplicationBootstrap(): void {
    if (this.enabled) this.running = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        const { resealed, current, failed } = await resealBlobs(this.blobs, { signal, onBlob: (outcome) => counter('artifactReseals').add(1, { outcome }) });
        if (signal.aborted) return;
        if (failed.length === 0) {
          this.logger.log(`reseal pass: ${resealed} blob(s) resealed, ${current} already current; every blob is stored with the current key (or as plaintext without one), so PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS can be removed`);
          return;
        }
        const examples = failed.slice(0, 3).map((f) => `${f.sha256}: ${f.reason}`).join('; ');
        this.logger.warn(`reseal pass: ${resealed} blob(s) resealed, ${current} already current, ${failed.length} failed (${examples}); trying again in ${RETRY_MILLIS / 60_000} min`);
      } catch (error) {
        // Listing the store failed (the bucket unreachable…): the next pass tries again.
        this.logger.warn(`reseal pass failed: ${error instanceof Error ? error.message : String(error)}; trying again in ${RETRY_MILLIS / 60_000} min`);
      }
      await sleep(RETRY_MILLIS, undefined, { signal }).catch(() => undefined);
    }
  }
}
