import { Inject, Injectable } from '@nestjs/common';
import { ArtifactNotFound as BlobNotFound, BlobStore } from '@pipewright/artifact-store';
import type { Readable } from 'node:stream';
import { ARTIFACT_REPOSITORY, ArtifactCursor, ArtifactRecord, ArtifactRepository } from './artifact-repository';
import { ArtifactBytesMissing, fromStore, UnknownArtifact } from './errors';
import { countBytesIn, countingBytesOut } from './artifact-metrics';

export const BLOB_STORE = Symbol('BlobStore');

/** What the uploader says about the bytes; the service adds id, digest, size and time. */
export interface NewArtifact {
  pipelineExecutionId: string;
  pipelineName: string;
  actionName: string;
  name: string;
  contentType: string;
  expectedSha256?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Upload, download, stat, list, delete: bytes to the blob store, metadata to the repository. */
@Injectable()
export class ArtifactsHandler {
  constructor(
    @Inject(ARTIFACT_REPOSITORY) private readonly repository: ArtifactRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  /**
   * Streams `content` into the store, then records the metadata. The blob is stored before its row
   * exists; garbage collection's grace period keeps such a blob until the row commits. An upload
   * whose sender gave up (`cancelled`) is not recorded, even if its bytes looked complete.
   */
  async upload(artifact: NewArtifact, content: Readable, artifactId: string, now: Date, cancelled?: AbortSignal): Promise<ArtifactRecord> {
    const blob = await this.blobs.put(content, { expectedSha256: artifact.expectedSha256 }).catch((error: unknown) => {
      throw fromStore(error);
    });
    cancelled?.throwIfAborted();
    const record: ArtifactRecord = {
      artifactId,
      pipelineExecutionId: artifact.pipelineExecutionId,
      pipelineName: artifact.pipelineName,
      actionName: artifact.actionName,
      name: artifact.name,
      sha256: blob.sha256,
      sizeBytes: blob.sizeBytes,
      contentType: artifact.contentType,
      created: now,
    };
    await this.repository.insert(record);
    countBytesIn(Number(record.sizeBytes));
    return record;
  }

  async stat(artifactId: string): Promise<ArtifactRecord> {
    // Not a uuid: it cannot name an artifact (and must not reach the uuid column as a type error).
    const record = UUID.test(artifactId) ? await this.repository.find(artifactId) : undefined;
    if (!record) throw new UnknownArtifact(artifactId);
    return record;
  }

  /** The metadata and the bytes, verified as they are read: damaged bytes end the iteration with DATA_LOSS. */
  async download(artifactId: string): Promise<{ artifact: ArtifactRecord; content: AsyncIterable<Buffer> }> {
    const artifact = await this.stat(artifactId);
    try {
      return { artifact, content: countingBytesOut(storeErrorsAsDomain(await this.blobs.get(artifact.sha256))) };
    } catch (error) {
      if (error instanceof BlobNotFound) throw new ArtifactBytesMissing(artifactId, artifact.sha256);
      throw fromStore(error);
    }
  }

  list(pipelineExecutionId: string, pipelineName: string | undefined, after: ArtifactCursor | undefined, limit: number): Promise<ArtifactRecord[]> {
    return this.repository.listByExecution(pipelineExecutionId, pipelineName, after, limit);
  }

  /**
   * The pipeline an artifact operation's request belongs to (the guard's resource lookup): the
   * artifact's, or for a list the execution's. An unknown id belongs to none.
   */
  async pipelineOf(method: string, request: { artifactId?: string; pipelineExecutionId?: string }): Promise<string | undefined> {
    if (method === 'ListArtifacts') return request.pipelineExecutionId ? this.repository.pipelineOfExecution(request.pipelineExecutionId) : undefined;
    const artifactId = request.artifactId ?? '';
    return UUID.test(artifactId) ? (await this.repository.find(artifactId))?.pipelineName : undefined;
  }

  /** Removes the metadata only; a blob no artifact refers to any more is garbage collection's to remove. */
  async delete(artifactId: string): Promise<void> {
    const deleted = UUID.test(artifactId) && (await this.repository.delete(artifactId));
    if (!deleted) throw new UnknownArtifact(artifactId);
  }
}

/** Stopping the iteration early (a cancelled download) destroys the underlying file stream. */
async function* storeErrorsAsDomain(content: Readable): AsyncIterable<Buffer> {
  try {
    yield* content;
  } catch (error) {
    throw fromStore(error);
  }
}
