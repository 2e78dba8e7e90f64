import { PassThrough, pipeline as pipelineCallback, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobRef, ResealOutcome } from './blob-store';
import { assertKey, decryptStream, encryptStream, SEAL_CHECK_BYTES, sealedWith } from './encryption';
import { ArtifactNotFound } from './errors';
import { MeteringStream, VerifyingStream } from './verify-stream';

/** Encryption at rest, as both backends take it. */
export interface EncryptionOptions {
  /** 32 bytes: blobs are stored AES-256-GCM encrypted with it, and read with it. */
  readonly encryptionKey?: Buffer;
  /** 32 bytes each: blobs encrypted with these (keys rotated out) are still read, never written. */
  readonly previousEncryptionKeys?: readonly Buffer[];
}

/** The keys a store writes with (the current one) and reads with (the current one first); each checked. */
export function encryptionKeys(options: EncryptionOptions): { write: Buffer | undefined; read: readonly Buffer[] } {
  const write = options.encryptionKey && assertKey(options.encryptionKey);
  return { write, read: [...(write ? [write] : []), ...(options.previousEncryptionKeys ?? []).map(assertKey)] };
}

/**
 * What every backend does to the bytes, so the backends differ only in where bytes land: a put
 * meters and hashes the plaintext, then encrypts it when a key is set; a get decrypts, then checks
 * the plaintext against the digest it was asked for.
 */
export function putStages(maxBytes: number, key: Buffer | undefined): { meter: MeteringStream; stages: Transform[] } {
  const meter = new MeteringStream(maxBytes);
  return { meter, stages: key ? [meter, encryptStream(key)] : [meter] };
}

/**
 * The stored bytes as verified plaintext; damage errors the returned stream at its end. With keys,
 * a blob stored before encryption was turned on reads as the plaintext it is (see decryptStream).
 */
export function verifiedRead(stored: Readable, keys: readonly Buffer[], sha256: string): Readable {
  const verifier = new VerifyingStream(sha256, keys.length === 0);
  const stages: Transform[] = keys.length ? [decryptStream(keys, sha256), verifier] : [verifier];
  // The caller holds only the last stream, so every upstream failure must reach it.
  pipelineCallback([stored, ...stages], (error) => error && verifier.destroy(error));
  return verifier;
}

/** Reads a verified stream to its end; rejects with its DigestMismatch/BlobTampered. */
export async function drainVerified(sha256: string, stream: Readable): Promise<BlobRef> {
  let sizeBytes = 0;
  await pipeline(stream, new PassThrough().on('data', (chunk: Buffer) => (sizeBytes += chunk.length)).resume());
  return { sha256, sizeBytes };
}

/** How a backend reaches one blob, for resealBlob. */
export interface ResealAccess {
  /** Up to `bytes` from the start of the stored bytes; undefined when there is no such blob. */
  readStart(bytes: number): Promise<Buffer | undefined>;
  /** The blob as verified plaintext (BlobStore.get). */
  get(): Promise<Readable>;
  /** Stores `plaintext` again under the blob's digest, replacing what is stored, with no size limit. */
  rewrite(plaintext: Readable): Promise<unknown>;
}

/**
 * BlobStore.reseal, as every backend does it: the first frame tells whether the blob is stored as
 * `writeKey` writes; if not, it is read, verified and written again. No size limit: the blob was
 * accepted once, and a limit lowered since must not strand it under an old key.
 */
export async function resealBlob(writeKey: Buffer | undefined, blob: ResealAccess, signal?: AbortSignal): Promise<ResealOutcome> {
  const stored = await blob.readStart(SEAL_CHECK_BYTES);
  if (!stored) return 'missing';
  if (sealedWith(stored, writeKey)) return 'current';
  const plaintext = await blob.get().catch((error: unknown) => {
    if (error instanceof ArtifactNotFound) return undefined;
    throw error;
  });
  if (!plaintext) return 'missing';
  // Stopped mid-blob (a shutdown), the rewrite fails and removes what it wrote; the blob stays as it was.
  const stop = () => plaintext.destroy(new Error('reseal stopped'));
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await blob.rewrite(plaintext);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  return 'resealed';
}
