/**
 * Named artifact-store errors, mapped once to gRPC codes at the edge. They carry a `code` like
 * DomainError does, but their own union: DATA_LOSS is not a domain refusal, it is the store's.
 */
export type ArtifactStoreErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'RESOURCE_EXHAUSTED' | 'DATA_LOSS' | 'FAILED_PRECONDITION';

export abstract class ArtifactStoreError extends Error {
  abstract readonly code: ArtifactStoreErrorCode;
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
  }
}

export class ArtifactTooLarge extends ArtifactStoreError {
  readonly code = 'RESOURCE_EXHAUSTED';
  constructor(readonly maxBytes: number) {
    super(`artifact exceeds the maximum size of ${maxBytes} bytes`, { maxBytes });
  }
}

export class DigestMismatch extends ArtifactStoreError {
  readonly code = 'DATA_LOSS';
  constructor(readonly expected: string, readonly actual: string) {
    super(`content SHA-256 ${actual} does not match the expected ${expected}`, { expected, actual });
  }
}

/** An encrypted blob whose frames fail authentication or framing: tampered or truncated on disk. */
export class BlobTampered extends ArtifactStoreError {
  readonly code = 'DATA_LOSS';
  constructor(readonly sha256: string | undefined, reason: string) {
    super(`encrypted blob ${sha256 ?? ''} is damaged: ${reason}`.replace('  ', ' '), { sha256, reason });
  }
}

/** A blob stored encrypted at rest, read by a store that has no key: the configuration lacks it, the bytes are fine. */
export class BlobNeedsKey extends ArtifactStoreError {
  readonly code = 'FAILED_PRECONDITION';
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is stored encrypted at rest, and this store has no encryption key (PIPEWRIGHT_ARTIFACT_KEY)`, { sha256 });
  }
}

export class ArtifactNotFound extends ArtifactStoreError {
  readonly code = 'NOT_FOUND';
  constructor(readonly sha256: string) {
    super(`no blob with SHA-256 ${sha256}`, { sha256 });
  }
}

export class InvalidDigest extends ArtifactStoreError {
  readonly code = 'INVALID_ARGUMENT';
  constructor(readonly value: string) {
    super(`not a SHA-256 hex digest: ${JSON.stringify(value.slice(0, 80))}`, { value: value.slice(0, 80) });
  }
}

export class UnsafeArchiveEntry extends ArtifactStoreError {
  readonly code = 'INVALID_ARGUMENT';
  constructor(readonly entryName: string, reason: string) {
    super(`archive entry ${JSON.stringify(entryName)} refused: ${reason}`, { entryName, reason });
  }
}
