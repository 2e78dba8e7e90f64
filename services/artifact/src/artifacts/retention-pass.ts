import { BlobStore, collectGarbage } from '@pipewright/artifact-store';
import { RetentionConfig } from './retention-config';
import { RetentionRepository } from './retention-repository';

export interface RetentionReport {
  expiredArtifacts: number;
  supersededArtifacts: number;
  removedBlobs: number;
  removedBytes: number;
  keptInGracePeriod: number;
}

/**
 * One pass: delete the metadata the limits no longer allow, then the blobs no artifact refers to.
 * The referenced digests are read before the blobs are listed, so a blob stored after that read
 * is younger than the grace period and kept: an upload in flight is never collected.
 */
export async function runRetentionPass(repository: RetentionRepository, blobs: BlobStore, config: RetentionConfig, now: Date): Promise<RetentionReport> {
  const expiredArtifacts = config.maxAgeMillis === undefined ? 0 : await repository.deleteCreatedBefore(new Date(now.getTime() - config.maxAgeMillis));
  const supersededArtifacts = config.keepExecutions === undefined ? 0 : await repository.deleteBeyondNewestExecutions(config.keepExecutions);
  const referenced = await repository.referencedDigests();
  const gc = await collectGarbage(blobs, referenced, { graceMillis: config.graceMillis, now });
  return { expiredArtifacts, supersededArtifacts, removedBlobs: gc.removed.length, removedBytes: gc.removedBytes, keptInGracePeriod: gc.keptInGracePeriod };
}
