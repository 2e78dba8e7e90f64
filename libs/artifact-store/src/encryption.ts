import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BlobTampered } from './errors';

/**
 * Encryption at rest, streamed: AES-256-GCM over fixed-size frames.
 *
 * Layout: MAGIC(4) | salt(16) | frames…, each frame = length(4, BE) | ciphertext | tag(16).
 * Every blob gets its own key, HKDF(masterKey, salt), so the frame counter alone is a safe nonce.
 * The frame index and a "final" flag are authenticated (AAD), so frames cannot be reordered,
 * dropped or the blob truncated without the read failing.
 */
export const FRAME_BYTES = 64 * 1024;
const MAGIC = Buffer.from('PWE1');
const SALT_BYTES = 16;
const HEADER_BYTES = MAGIC.length + SALT_BYTES;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;

export function assertKey(key: Buffer): Buffer {
  if (key.length !== 32) throw new Error(`encryption key must be 32 bytes, got ${key.length}`);
  return key;
}

function blobKey(masterKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, salt, 'pipewright-artifact-v1', 32));
}

function nonce(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(index), 4);
  return iv;
}

function aad(index: number, final: boolean): Buffer {
  const data = Buffer.alloc(9);
  data.writeBigUInt64BE(BigInt(index), 0);
  data[8] = final ? 1 : 0;
  return data;
}

/** A Transform from plaintext to the framed ciphertext. */
export function encryptStream(masterKey: Buffer, frameBytes = FRAME_BYTES): Transform {
  const salt = randomBytes(SALT_BYTES);
  const key = blobKey(masterKey, salt);
  let index = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  // Pushes length, ciphertext and tag separately: no extra copy of each frame.
  const seal = (self: Transform, plain: Buffer, final: boolean): void => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index));
    cipher.setAAD(aad(index, final));
    index += 1;
    const body = plain.length ? cipher.update(plain) : Buffer.alloc(0);
    cipher.final();
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeUInt32BE(body.length);
    self.push(length);
    if (body.length) self.push(body);
    self.push(cipher.getAuthTag());
  };

  return new Transform({
    construct(callback) {
      this.push(Buffer.concat([MAGIC, salt]));
      callback();
    },
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep back one full frame: only at the end do we know which frame is final.
      if (pendingBytes > frameBytes) {
        let all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        while (all.length > frameBytes) {
          seal(this, all.subarray(0, frameBytes), false);
          all = all.subarray(frameBytes);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      seal(this, Buffer.concat(pending), true);
      pending = [];
      callback();
    },
  });
}

/** A Transform from framed ciphertext back to plaintext; damage surfaces as BlobTampered. */
export function decryptStream(masterKey: Buffer, sha256?: string, frameBytes = FRAME_BYTES): Transform {
  let key: Buffer | undefined;
  let index = 0;
  let finished = false;
  let buffer: Buffer = Buffer.alloc(0);

  const openFrames = (self: Transform): void => {
    if (!key) {
      if (buffer.length < HEADER_BYTES) return;
      if (!buffer.subarray(0, MAGIC.length).equals(MAGIC)) throw new BlobTampered(sha256, 'not an encrypted blob');
      key = blobKey(masterKey, buffer.subarray(MAGIC.length, HEADER_BYTES));
      buffer = buffer.subarray(HEADER_BYTES);
    }
    while (buffer.length >= LENGTH_BYTES) {
      if (finished) throw new BlobTampered(sha256, 'data after the final frame');
      const length = buffer.readUInt32BE(0);
      if (length > frameBytes) throw new BlobTampered(sha256, `frame ${index} claims ${length} bytes`);
      const frameEnd = LENGTH_BYTES + length + TAG_BYTES;
      if (buffer.length < frameEnd) return;
      // A full-size frame may or may not be the last one: try "not final" first, then "final".
      const body = buffer.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
      const tag = buffer.subarray(LENGTH_BYTES + length, frameEnd);
      const plain = tryOpen(body, tag, false) ?? tryOpen(body, tag, true);
      if (!plain) throw new BlobTampered(sha256, `frame ${index} failed authentication`);
      index += 1;
      buffer = buffer.subarray(frameEnd);
      if (plain.length) self.push(plain);
    }
  };

  const tryOpen = (body: Buffer, tag: Buffer, final: boolean): Buffer | undefined => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key!, nonce(index));
      decipher.setAAD(aad(index, final));
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final(); // throws unless the tag authenticates body, index and final flag
      if (final) finished = true;
      return plain;
    } catch {
      return undefined;
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      try {
        openFrames(this);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      if (!finished || buffer.length) return callback(new BlobTampered(sha256, 'truncated: no final frame'));
      callback();
    },
  });
}
