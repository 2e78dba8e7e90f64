import { status } from '@grpc/grpc-js';
import { DomainError, DomainErrorCode } from '@pipewright/decider';
import { ArtifactStoreError } from '@pipewright/artifact-store';

/** No artifact with that id: never uploaded, or deleted. */
export class UnknownArtifact extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(readonly artifactId: string) {
    super(`artifact ${artifactId} not found`, { artifactId });
  }
}

/** The metadata names a blob the store no longer has: the bytes are lost, not merely absent. */
export class ArtifactBytesMissing extends DomainError {
  readonly code = 'DATA_LOSS' as const;
  constructor(readonly artifactId: string, readonly sha256: string) {
    super(`the bytes of artifact ${artifactId} (SHA-256 ${sha256}) are missing from storage`, { artifactId, sha256 });
  }
}

/** A store refusal (too large, digest mismatch, tampered blob…) carried to the edge under its own name and code. */
export class ArtifactStorageRefused extends DomainError {
  readonly code: DomainErrorCode;
  constructor(cause: ArtifactStoreError) {
    super(cause.message, cause.details);
    this.code = cause.code;
    this.name = cause.name;
  }
}

/** Store errors become domain errors so the one gRPC mapping (service-kit's toGrpcError) applies. */
export function fromStore(error: unknown): unknown {
  return error instanceof ArtifactStoreError ? new ArtifactStorageRefused(error) : error;
}

/** The caller went away: answered as CANCELLED (nobody is listening) and not logged as a failure. */
export function clientCancelled(message: string): Error & { code: status } {
  return Object.assign(new Error(message), { code: status.CANCELLED });
}
