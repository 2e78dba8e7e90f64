import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
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
export const FRAME_BYTES = 1024 * 1024;
/**
 * The largest frame a reader accepts. Frames were 64 KiB before 1 MiB (blobs written then still
 * read); 1 MiB, the gRPC chunk size, makes the per-frame cost (a cipher, a tag, three pushes) 16× rarer.
 */
const MAX_FRAME_BYTES = 1024 * 1024;
const MAGIC = Buffer.from('PWE1');
const SALT_BYTES = 16;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;
/** Bytes before the first frame. */
export const HEADER_BYTES = MAGIC.length + SALT_BYTES;
/** A full frame as stored: length, ciphertext, tag. */
export const STORED_FRAME_BYTES = LENGTH_BYTES + FRAME_BYTES + TAG_BYTES;

export function assertKey(key: Buffer): Buffer {
  if (key.length !== 32) throw new Error(`encryption key must be 32 bytes, got ${key.length}`);
  return key;
}

/** A KeyObject made once per blob: a raw Buffer key is imported again by every createCipheriv. */
function blobKey(masterKey: Buffer, salt: Buffer): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', masterKey, salt, 'pipewright-artifact-v1', 32)));
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
  const pending = new ByteQueue();

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
      // Keep back one full frame: only at the end do we know which frame is final.
      while (pending.length > frameBytes) seal(this, pending.take(frameBytes), false);
      callback();
    },
    flush(callback: TransformCallback) {
      seal(this, pending.take(pending.length), true);
      callback();
    },
  });
}

/** Whether stored bytes begin as an encrypted blob does (false while fewer than 4 bytes are known). */
export const startsEncrypted = (bytes: Buffer): boolean => bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC);

/**
 * A Transform from framed ciphertext back to plaintext; damage surfaces as BlobTampered. A blob
 * that does not start with the header was stored before encryption was turned on: it passes as
 * the plaintext it is (the reader's digest check still covers it, so nobody can slip in other bytes).
 */
export function decryptStream(masterKeys: readonly Buffer[], sha256?: string, frameBytes = MAX_FRAME_BYTES): Transform {
  /** The blob's key under each master key, from its salt; the first frame tells which one sealed it. */
  let candidates: KeyObject[] | undefined;
  let key: KeyObject | undefined;
  let plain = false;
  let index = 0;
  let finished = false;
  const buffer = new ByteQueue();

  /** Decides, once the first bytes are known (or the blob ended before them), whether it is encrypted. */
  const sniff = (self: Transform, ended: boolean): void => {
    if (candidates || plain || (buffer.length < MAGIC.length && !ended)) return;
    if (startsEncrypted(buffer.peek(Math.min(buffer.length, MAGIC.length)))) return;
    plain = true;
    if (buffer.length) self.push(buffer.take(buffer.length));
  };

  const openFrames = (self: Transform): void => {
    if (!candidates) {
      if (buffer.length < HEADER_BYTES) return;
      const salt = buffer.take(HEADER_BYTES).subarray(MAGIC.length);
      candidates = masterKeys.map((masterKey) => blobKey(masterKey, salt));
    }
    while (buffer.length >= LENGTH_BYTES) {
      if (finished) throw new BlobTampered(sha256, 'data after the final frame');
      const length = buffer.peek(LENGTH_BYTES).readUInt32BE(0);
      if (length > frameBytes) throw new BlobTampered(sha256, `frame ${index} claims ${length} bytes`);
      const frameEnd = LENGTH_BYTES + length + TAG_BYTES;
      if (buffer.length < frameEnd) return;
      const frame = buffer.take(frameEnd);
      const body = frame.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
      const tag = frame.subarray(LENGTH_BYTES + length, frameEnd);
      // The first frame picks the key (the current one, else a previous one) that opens it.
      const plain = key ? open(key, body, tag) : firstOpened(body, tag);
      if (!plain) throw new BlobTampered(sha256, index === 0 && candidates.length > 1 ? 'no configured key opens it' : `frame ${index} failed authentication`);
      index += 1;
      if (plain.length) self.push(plain);
    }
  };

  const firstOpened = (body: Buffer, tag: Buffer): Buffer | undefined => {
    for (const candidate of candidates!) {
      const plain = open(candidate, body, tag);
      if (plain) {
        key = candidate;
        return plain;
      }
    }
    return undefined;
  };

  const open = (frameKey: KeyObject, body: Buffer, tag: Buffer): Buffer | undefined => {
    const opened = openFrame(frameKey, index, body, tag);
    if (opened?.final) finished = true;
    return opened?.plain;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (plain) return callback(null, chunk);
      buffer.push(chunk);
      try {
        sniff(this, false);
        if (!plain) openFrames(this);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      sniff(this, true);
      if (plain) return callback();
      if (!finished || buffer.length) return callback(new BlobTampered(sha256, 'truncated: no final frame'));
      callback();
    },
  });
}

/**
 * A frame's plaintext and whether it is the final one, or undefined unless its tag authenticates
 * body, index and final flag under `key`. A full-size frame may or may not be the last one: "not
 * final" is tried first.
 */
function openFrame(key: KeyObject, index: number, body: Buffer, tag: Buffer): { plain: Buffer; final: boolean } | undefined {
  for (const final of [false, true]) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce(index));
      decipher.setAAD(aad(index, final));
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final(); // throws unless the tag authenticates
      return { plain, final };
    } catch {
      // not under this flag (or not this key): try the other flag, then give up
    }
  }
  return undefined;
}

/** How many stored bytes sealedWith needs at most: the header and a whole first frame. */
export const SEAL_CHECK_BYTES = HEADER_BYTES + STORED_FRAME_BYTES;

/**
 * Whether a blob, from the first bytes of what is stored (at least its first frame, or all of it),
 * is stored as a store with `key` writes: encrypted under `key`, or plaintext when there is none.
 * Bytes that cannot be its first frame say no; reading the whole blob then finds what is wrong.
 */
export function sealedWith(stored: Buffer, key: Buffer | undefined): boolean {
  if (!startsEncrypted(stored)) return key === undefined;
  if (!key || stored.length < HEADER_BYTES + LENGTH_BYTES) return false;
  const length = stored.readUInt32BE(HEADER_BYTES);
  const frameEnd = HEADER_BYTES + LENGTH_BYTES + length + TAG_BYTES;
  if (length > MAX_FRAME_BYTES || stored.length < frameEnd) return false;
  const frameKey = blobKey(key, stored.subarray(MAGIC.length, HEADER_BYTES));
  const body = stored.subarray(HEADER_BYTES + LENGTH_BYTES, frameEnd - TAG_BYTES);
  const tag = stored.subarray(frameEnd - TAG_BYTES, frameEnd);
  return openFrame(frameKey, 0, body, tag) !== undefined;
}

/**
 * Bytes queued as the chunks they arrived in. Taking a range that lies in one chunk is a view; only
 * a range spanning chunks is copied, once (concatenating every arriving chunk copied each byte again and again).
 */
class ByteQueue {
  private readonly chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `size` bytes, left in the queue. */
  peek(size: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= size) return first.subarray(0, size);
    return Buffer.concat(this.chunks, size);
  }

  /** The first `size` bytes, removed from the queue. */
  take(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= size) {
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      this.length -= size;
      return first.subarray(0, size);
    }
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < size) {
      const head = this.chunks[0];
      const wanted = size - taken;
      if (head.length <= wanted) {
        parts.push(head);
        this.chunks.shift();
        taken += head.length;
      } else {
        parts.push(head.subarray(0, wanted));
        this.chunks[0] = head.subarray(wanted);
        taken += wanted;
      }
    }
    this.length -= size;
    return Buffer.concat(parts, size);
  }
}
