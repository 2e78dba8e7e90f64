import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { startsEncrypted } from './encryption';
import { ArtifactTooLarge, BlobNeedsKey, DigestMismatch } from './errors';

/** Counts and hashes what passes through; refuses more than `maxBytes`. */
export class MeteringStream extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.maxBytes) return callback(new ArtifactTooLarge(this.maxBytes));
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Passes bytes through and fails at the end unless they hash to `expected`. Reading stored bytes
 * without a key (`keyless`), a mismatch on bytes that begin as an encrypted blob is BlobNeedsKey.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private head = Buffer.alloc(0);
  sizeBytes = 0;

  constructor(
    private readonly expected: string,
    private readonly keyless = false,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.keyless && this.head.length < 4) this.head = Buffer.concat([this.head, chunk.subarray(0, 4)]);
    this.sizeBytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual === this.expected) return callback();
    callback(this.keyless && startsEncrypted(this.head) ? new BlobNeedsKey(this.expected) : new DigestMismatch(this.expected, actual));
  }
}
