import type { BlobEntry, BlobStore } from './blob-store';

export interface GarbageCollectionOptions {
  /** Blobs stored more recently than this are kept: their metadata may not be committed yet. */
  readonly graceMillis: number;
  readonly now: Date;
  /** Report what would be removed without removing it. */
  readonly dryRun?: boolean;
}

export interface GarbageCollectionReport {
  readonly removed: readonly BlobEntry[];
  readonly removedBytes: number;
  readonly keptReferenced: number;
  readonly keptInGracePeriod: number;
}

/**
 * Deletes blobs no artifact refers to. Which digests are referenced is the artifact service's
 * metadata to decide; the store only knows bytes and when they were stored.
 */
export async function collectGarbage(
  store: BlobStore,
  referenced: ReadonlySet<string>,
  options: GarbageCollectionOptions,
): Promise<GarbageCollectionReport> {
  const removed: BlobEntry[] = [];
  let keptReferenced = 0;
  let keptInGracePeriod = 0;
  const cutoff = options.now.getTime() - options.graceMillis;
  for await (const entry of store.list()) {
    if (referenced.has(entry.sha256)) keptReferenced += 1;
    else if (entry.storedAt.getTime() > cutoff) keptInGracePeriod += 1;
    else if (options.dryRun || (await store.delete(entry.sha256))) removed.push(entry);
  }
  return { removed, removedBytes: removed.reduce((sum, entry) => sum + entry.storedBytes, 0), keptReferenced, keptInGracePeriod };
}
