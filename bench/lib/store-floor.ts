import { FileBlobStore } from '@pipewright/artifact-store';
import { Readable } from 'node:stream';
import { mbPerSecond } from './byte-floors';
import { nowMs } from './stats';

/**
 * The blob store alone, in this process, no gRPC: put (meter + SHA-256, [encrypt], write, fsync,
 * rename) of `content` in 1 MiB chunks, then get (read, [decrypt], verify) drained. What the
 * service's storage half costs; the content should be fresh, or the put skips its rename.
 */
export async function storeRates(root: string, content: Buffer, encryptionKey?: Buffer): Promise<{ putMBps: number; getMBps: number }> {
  const store = await FileBlobStore.open({ root, encryptionKey });
  const chunks = function* () {
    for (let offset = 0; offset < content.length; offset += 1024 * 1024) yield content.subarray(offset, offset + 1024 * 1024);
  };
  let start = nowMs();
  const { sha256 } = await store.put(Readable.from(chunks()));
  const putMBps = mbPerSecond(content.length, nowMs() - start);
  start = nowMs();
  let bytes = 0;
  for await (const chunk of await store.get(sha256)) bytes += (chunk as Buffer).length;
  const getMBps = mbPerSecond(bytes, nowMs() - start);
  await store.delete(sha256);
  return { putMBps, getMBps };
}
