import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Bytes written between background flushes. */
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * A new file, written sequentially and durable when the stream finishes (fsync before close).
 * While bytes still arrive it asks the kernel to write back what it already has (`fdatasync`, one at
 * a time, in the background): the disk works during the transfer instead of all at the end, so the
 * closing fsync only has the last few MiB left.
 */
export class WriteBehindFile extends Writable {
  private handle: FileHandle | undefined;
  private unflushedBytes = 0;
  private flushing: Promise<void> | undefined;

  constructor(private readonly file: string) {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // Owner-only: a blob may be an artifact's plaintext.
    fs.open(this.file, 'wx', 0o600).then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  /** What queued up while the previous write ran, in one writev(2): an encrypted frame is three buffers. */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map(({ chunk }) => chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle!;
    (async () => {
      await this.flushing;
      await handle.sync();
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    // A background flush may still hold the descriptor: close after it, and never report its failure twice.
    Promise.resolve(this.flushing)
      .catch(() => undefined)
      .then(() => handle?.close())
      .then(() => callback(error), (closeError: Error) => callback(error ?? closeError));
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    const handle = this.handle!;
    // writev(2) may write less than asked (a signal, a full disk's last block): go on from there.
    for (let rest = buffers; rest.length > 0; ) {
      let written = (await handle.writev(rest)).bytesWritten;
      this.unflushedBytes += written;
      while (rest.length > 0 && written >= rest[0].length) written -= rest.shift()!.length;
      if (written > 0) rest[0] = rest[0].subarray(written);
    }
    if (this.unflushedBytes >= FLUSH_EVERY_BYTES) {
      // A failed background flush fails the next write or the final fsync, never silently.
      if (this.flushing) await this.flushing;
      this.unflushedBytes = 0;
      const flushing = handle.datasync();
      flushing.catch(() => undefined);
      this.flushing = flushing;
    }
  }
}
