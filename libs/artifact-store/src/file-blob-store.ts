import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { drainVerified, encryptionKeys, putStages, resealBlob, verifiedRead, type EncryptionOptions } from './blob-codec';
import { assertDigest, type BlobEntry, type BlobRef, type BlobStore, type PutOptions, type ResealOutcome } from './blob-store';
import { HEADER_BYTES, STORED_FRAME_BYTES } from './encryption';
import { ArtifactNotFound, DigestMismatch } from './errors';
import { WriteBehindFile } from './write-behind-file';

export interface FileBlobStoreOptions extends EncryptionOptions {
  readonly root: string;
  /** Largest blob accepted (plaintext bytes). Default 5 GiB, CodePipeline's artifact limit. */
  readonly maxBytes?: number;
  /** Temp files older than this are removed on open even if their writer cannot be checked. */
  readonly staleTempMillis?: number;
}

const DEFAULT_MAX_BYTES = 5 * 1024 ** 3;
const HOST = hostname();
/** Reads of 1 MiB, not fs's 64 KiB: a quarter of the thread-pool round trips, and gRPC's chunk size. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Blobs on the local filesystem under `<root>/sha256/ab/cd/<digest>`. A put streams into a temp
 * file in `<root>/tmp` (same filesystem), fsyncs it and renames it into place, so a reader sees a
 * whole blob or none. Temp names carry host and pid so the next open can tell dead writers' leftovers.
 */
export class FileBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly maxBytes: number;
  private readonly keys: ReturnType<typeof encryptionKeys>;

  private constructor(private readonly options: FileBlobStoreOptions) {
    this.blobsDir = path.join(options.root, 'sha256');
    this.tmpDir = path.join(options.root, 'tmp');
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keys = encryptionKeys(options);
  }

  static async open(options: FileBlobStoreOptions): Promise<FileBlobStore> {
    const store = new FileBlobStore(options);
    await fs.mkdir(store.blobsDir, { recursive: true });
    await fs.mkdir(store.tmpDir, { recursive: true });
    await store.removeDeadWritersTempFiles();
    return store;
  }

  async put(content: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<BlobRef> {
    const expected = options.expectedSha256 === undefined ? undefined : assertDigest(options.expectedSha256);
    return this.write(content, expected, Math.min(options.maxBytes ?? this.maxBytes, this.maxBytes), false);
  }

  /** `replace`: a blob already stored under the digest is replaced (atomically) instead of kept. */
  private async write(content: Readable | AsyncIterable<Uint8Array>, expected: string | undefined, maxBytes: number, replace: boolean): Promise<BlobRef> {
    const { meter, stages } = putStages(maxBytes, this.keys.write);
    const tmp = path.join(this.tmpDir, `${process.pid}@${HOST}@${randomUUID()}.tmp`);
    try {
      // The file is fsynced before the pipeline ends: the rename below must never publish unwritten pages.
      const source = content instanceof Readable ? content : Readable.from(content);
      await pipeline([source, ...stages, new WriteBehindFile(tmp)]);
      const sha256 = meter.digest();
      if (expected && expected !== sha256) throw new DigestMismatch(expected, sha256);
      await this.publish(tmp, sha256, replace);
      return { sha256, sizeBytes: meter.sizeBytes };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async get(sha256: string): Promise<Readable> {
    const file = this.blobPath(assertDigest(sha256));
    const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new ArtifactNotFound(sha256) : error;
    });
    const stored = this.keys.read.length > 0 ? readFrameByFrame(handle) : handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    return verifiedRead(stored, this.keys.read, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return fs.access(this.blobPath(assertDigest(sha256))).then(() => true, () => false);
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await fs.unlink(this.blobPath(assertDigest(sha256)));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async *list(): AsyncIterable<BlobEntry> {
    for (const first of await readdirSorted(this.blobsDir)) {
      for (const second of await readdirSorted(path.join(this.blobsDir, first))) {
        for (const name of await readdirSorted(path.join(this.blobsDir, first, second))) {
          if (!/^[0-9a-f]{64}$/.test(name)) continue;
          const stat = await fs.stat(path.join(this.blobsDir, first, second, name)).catch(() => undefined);
          if (stat) yield { sha256: name, storedBytes: stat.size, storedAt: stat.mtime };
        }
      }
    }
  }

  async verify(sha256: string): Promise<BlobRef> {
    return drainVerified(sha256, await this.get(sha256));
  }

  async reseal(sha256: string, signal?: AbortSignal): Promise<ResealOutcome> {
    const file = this.blobPath(assertDigest(sha256));
    return resealBlob(this.keys.write, {
      readStart: (bytes) => readStart(file, bytes),
      get: () => this.get(sha256),
      rewrite: (plaintext) => this.write(plaintext, sha256, Number.POSITIVE_INFINITY, true),
    }, signal);
  }

  private blobPath(sha256: string): string {
    return path.join(this.blobsDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  private async publish(tmp: string, sha256: string, replace: boolean): Promise<void> {
    const target = this.blobPath(sha256);
    const now = new Date();
    // Stored once: if it is already there, only refresh its time so a GC pass in its grace period keeps it.
    const existing = !replace && (await fs.utimes(target, now, now).then(() => true, () => false));
    if (existing) return;
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(tmp, target);
    await fsyncDirectory(path.dirname(target));
  }

  private async removeDeadWritersTempFiles(): Promise<void> {
    const staleBefore = Date.now() - (this.options.staleTempMillis ?? 24 * 3600_000);
    for (const name of await fs.readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const [pid, host] = name.split('@');
      const writerGone = host === HOST ? !isAlive(Number(pid)) : (await fs.stat(file)).mtimeMs < staleBefore;
      if (writerGone) await fs.rm(file, { force: true });
    }
  }
}

/**
 * An encrypted blob read as its header, then one stored frame per read. Its frames lie behind the
 * 20-byte header, so 1 MiB reads cut every frame in two, and decryption copied the halves together.
 * A blob stored before encryption was turned on reads the same way, just in other-sized chunks.
 */
function readFrameByFrame(handle: FileHandle): Readable {
  let position = 0;
  return new Readable({
    highWaterMark: STORED_FRAME_BYTES,
    read(this: Readable) {
      const size = position === 0 ? HEADER_BYTES : STORED_FRAME_BYTES;
      handle.read(Buffer.allocUnsafe(size), 0, size, position).then(
        ({ bytesRead, buffer }) => {
          position += bytesRead;
          this.push(bytesRead > 0 ? buffer.subarray(0, bytesRead) : null);
        },
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      handle.close().then(() => callback(error), (closeError: Error) => callback(error ?? closeError));
    },
  });
}

/** Up to `bytes` from the start of a file; undefined when there is no such file. */
async function readStart(file: string, bytes: number): Promise<Buffer | undefined> {
  const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readdirSorted(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
