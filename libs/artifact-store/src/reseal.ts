import type { BlobStore } from './blob-store';

export interface ResealOptions {
  /** Stops the pass, leaving the blob under way as it was. */
  readonly signal?: AbortSignal;
  /** Told of each blob as the pass gets through it (a blob found missing is not one). */
  readonly onBlob?: (outcome: 'resealed' | 'current' | 'failed') => void;
}

export interface ResealReport {
  readonly resealed: number;
  /** Stored as the store writes already. */
  readonly current: number;
  /** Blobs that could not be resealed, and why: each is left as it was. */
  readonly failed: readonly { readonly sha256: string; readonly reason: string }[];
}

/**
 * Reseals every blob of the store (BlobStore.reseal), one at a time: after a key rotation, what
 * lets the previous key go. A blob that fails is reported and the pass goes on.
 */
export async function resealBlobs(store: BlobStore, { signal, onBlob }: ResealOptions = {}): Promise<ResealReport> {
  let resealed = 0;
  let current = 0;
  const failed: { sha256: string; reason: string }[] = [];
  for await (const { sha256 } of store.list()) {
    if (signal?.aborted) break;
    try {
      const outcome = await store.reseal(sha256, signal);
      if (outcome === 'resealed') resealed += 1;
      else if (outcome === 'current') current += 1;
      if (outcome !== 'missing') onBlob?.(outcome);
    } catch (error) {
      if (signal?.aborted) break;
      failed.push({ sha256, reason: error instanceof Error ? error.message : String(error) });
      onBlob?.('failed');
    }
  }
  return { resealed, current, failed };
}
