import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ArtifactTooLarge, DigestMismatch } from './errors';

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

/** Passes bytes through and fails at the end unless they hash to `expected`. */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;

  constructor(private readonly expected: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    callback(actual === this.expected ? null : new DigestMismatch(this.expected, actual));
  }
}
