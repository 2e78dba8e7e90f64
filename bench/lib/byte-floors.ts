/**
 * What the disk and the CPU alone do with an artifact's bytes, measured on the filesystem the
 * artifact store writes to: write + fsync, read (page cache bypassed, and cached), SHA-256 and AES-256-GCM.
 * Rates are MB/s (10^6 bytes per second).
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, createSecretKey, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { nowMs, round } from './stats';

const CHUNK = 1024 * 1024;

const mbPerSecond = (bytes: number, ms: number) => round(bytes / 1e6 / (ms / 1000), 1);

/** Writes `content` to `file` in 1 MiB writes, then fsyncs: what a put must at least spend. */
export async function writeFsyncRate(file: string, content: Buffer): Promise<number> {
  const start = nowMs();
  const handle = await fs.open(file, 'w');
  try {
    for (let offset = 0; offset < content.length; offset += CHUNK) await handle.write(content, offset, Math.min(CHUNK, content.length - offset));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return mbPerSecond(content.length, nowMs() - start);
}

/**
 * Reads `file` with O_DIRECT (dd iflag=direct), so the page cache is bypassed without dropping it
 * (which needs a privilege and would disturb everything else on a shared machine).
 */
export function directReadRate(file: string, bytes: number): number {
  const start = nowMs();
  const result = spawnSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=4M', 'iflag=direct'], { encoding: 'utf8' });
  const ms = nowMs() - start;
  if (result.status !== 0) throw new Error(`dd iflag=direct failed: ${result.stderr}`);
  return mbPerSecond(bytes, ms);
}

/** Reads `file` through the page cache in 1 MiB reads, as a file read stream does after a recent write. */
export async function cachedReadRate(file: string): Promise<number> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  const start = nowMs();
  const handle = await fs.open(file, 'r');
  let total = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return mbPerSecond(total, nowMs() - start);
}

/** node:crypto SHA-256 over `content` in 1 MiB updates, as the store digests a stream. */
export function sha256Rate(content: Buffer): number {
  const start = nowMs();
  const hash = createHash('sha256');
  for (let offset = 0; offset < content.length; offset += CHUNK) hash.update(content.subarray(offset, offset + CHUNK));
  hash.digest();
  return mbPerSecond(content.length, nowMs() - start);
}

/**
 * node:crypto AES-256-GCM over `content` in frames of the encrypted store's size (1 MiB), one cipher
 * per frame under one KeyObject, as the store seals them. Each frame's ciphertext is a new buffer,
 * as in the store, so the rate says as much about fresh memory as about the cipher: a warm process
 * that reuses its memory runs the same loop at over 4 GB/s here.
 */
export function aesGcmRate(content: Buffer, frameBytes = CHUNK): number {
  const key = createSecretKey(randomBytes(32));
  const start = nowMs();
  for (let offset = 0, index = 0; offset < content.length; offset += frameBytes, index++) {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(index, 8);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.update(content.subarray(offset, offset + frameBytes));
    cipher.final();
  }
  return mbPerSecond(content.length, nowMs() - start);
}

export { mbPerSecond };
