import type { Readable } from 'node:stream';
import { InvalidDigest } from './errors';

/** What a put returns: the content address and the plaintext size. */
export interface BlobRef {
  readonly sha256: string;
  readonly sizeBytes: number;
}

export interface PutOptions {
  /** The caller's digest; a different content digest aborts the put with DigestMismatch. */
  readonly expectedSha256?: string;
  /** Lower than the store's maximum for this put only. */
  readonly maxBytes?: number;
}

export interface BlobEntry {
  readonly sha256: string;
  /** Bytes on the backend (ciphertext size when encrypted). */
  readonly storedBytes: number;
  /** When the blob was last stored or re-put; garbage collection's grace period counts from it. */
  readonly storedAt: Date;
}

/** What reseal did: stored the blob again, found it as the store writes already, or found no such blob. */
export type ResealOutcome = 'resealed' | 'current' | 'missing';

/**
 * Content-addressed blob storage. Implementations stream both ways, never hold a whole blob in
 * memory, never expose a partial write, and verify the content digest on every read.
 */
export interface BlobStore {
  put(content: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<BlobRef>;
  /** Rejects with ArtifactNotFound; the stream errors with DigestMismatch/BlobTampered at its end if the bytes are damaged. */
  get(sha256: string): Promise<Readable>;
  has(sha256: string): Promise<boolean>;
  /** Resolves false when there was nothing to delete. */
  delete(sha256: string): Promise<boolean>;
  list(): AsyncIterable<BlobEntry>;
  /** Reads the whole blob and checks it; rejects with DigestMismatch/BlobTampered. */
  verify(sha256: string): Promise<BlobRef>;
  /**
   * Stores the blob again as this store writes now (sealed with the current key, or plaintext when
   * it has none) unless it is stored so already: what key rotation leaves to do. The blob is read
   * with any configured key and verified, and replaced atomically; a blob that cannot be read
   * (BlobTampered, DigestMismatch, BlobNeedsKey) is left as it was, and so is one whose rewrite
   * `signal` stops.
   */
  reseal(sha256: string, signal?: AbortSignal): Promise<ResealOutcome>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Digests become file paths, so only canonical lower-case hex is accepted. */
export function assertDigest(value: string): string {
  if (!SHA256_HEX.test(value)) throw new InvalidDigest(value);
  return value;
}
