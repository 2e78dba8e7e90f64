import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { serviceProcessEnv } from '@pipewright/service-kit';
import { startS3Server } from '../test/s3-server';
import { chunked, MiB, s3StoresOf, sha256 } from '../test/s3-stores';
import { DigestMismatch, MIN_PART_BYTES, S3BlobStore } from './index';

// What only the S3 backend has: multipart uploads, completed only after the digest checks out.
// The contract shared with the filesystem is in blob-store.int.spec.ts.

const NODE_ARGS = ['-r', '@pipewright/ts-register'];
const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
const GiB = 1024 * MiB;

describe('S3BlobStore against a real S3-compatible server', () => {
  const s3 = s3StoresOf(startS3Server, 's3', { defaults: { partBytes: MIN_PART_BYTES } });
  const { open } = s3;
  /** Every object under this test's prefix, blobs and temp objects alike. */
  const objects = async (store: S3BlobStore) =>
    ((await store.client.send(new ListObjectsV2Command({ Bucket: s3.server.bucket, Prefix: s3.options.prefix }))).Contents ?? []).map((o) => o.Key!);

  it.each([
    ['plaintext', undefined],
    ['encrypted', randomBytes(32)],
  ])('puts a blob larger than a part as a multipart upload and reads it back (%s)', async (_mode, encryptionKey) => {
    const store = await open({ encryptionKey });
    const data = randomBytes(2 * MIN_PART_BYTES + 12345);
    const ref = await store.put(chunked(data));
    expect(ref).toEqual({ sha256: sha256(data), sizeBytes: data.length });
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(ref.sha256)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    // Only the content key is left: the temp object was copied and deleted.
    expect(await objects(store)).toEqual([store.blobKey(ref.sha256)]);
    const listed = [];
    for await (const entry of store.list()) listed.push(entry);
    expect(listed).toEqual([expect.objectContaining({ sha256: ref.sha256, storedBytes: encryptionKey ? expect.any(Number) : data.length })]);
  });

  it('refuses a multipart blob whose digest does not match with DATA_LOSS, completing nothing', async () => {
    const store = await open();
    const expected = sha256(Buffer.from('what the client claimed'));
    const error = await store.put(chunked(randomBytes(2 * MIN_PART_BYTES + 1)), { expectedSha256: expected }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatch);
    expect((error as DigestMismatch).code).toBe('DATA_LOSS');
    expect(await store.has(expected)).toBe(false);
    expect(await objects(store)).toEqual([]);
  });

  it('leaves nothing visible when the source of a multipart put fails midway', async () => {
    const store = await open();
    const failing = Readable.from((async function* () {
      for (let i = 0; i < 3 * 5; i++) yield randomBytes(MiB);
      throw new Error('the uploading client went away');
    })());
    await expect(store.put(failing)).rejects.toThrow('the uploading client went away');
    expect(await objects(store)).toEqual([]);
  });

  it('never exposes the blob of a writer killed mid-put', async () => {
    const spec = `s3:${JSON.stringify(s3.options)}`;
    // 16 MiB written: at least two parts have gone to the multipart upload.
    const child = spawn(process.execPath, [...NODE_ARGS, path.join(FIXTURES, 'endless-writer.ts'), spec, '16'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('writing') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const store = await open();
    const listed = [];
    for await (const entry of store.list()) listed.push(entry);
    expect(listed).toEqual([]);
    expect(await objects(store)).toEqual([]);
  }, 60_000);

  it('removes stale temp objects when a store opens', async () => {
    const store = await open();
    const leftover = `${s3.options.prefix}tmp/completed-by-a-writer-that-died`;
    await store.client.send(new PutObjectCommand({ Bucket: s3.server.bucket, Key: leftover, Body: Buffer.from('partial') }));
    const reopened = await open({ staleTempMillis: -1000 });
    expect(await objects(reopened)).toEqual([]);
  });

  it('refuses to open on a bucket that does not exist, naming it', async () => {
    await expect(S3BlobStore.open({ ...s3.options, bucket: 'no-such-bucket' })).rejects.toThrow(/S3 bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+ is not usable/);
  });

  it('refuses a part size below the S3 minimum', async () => {
    await expect(S3BlobStore.open({ ...s3.options, partBytes: MiB })).rejects.toThrow(/at least 5242880 bytes/);
  });

  it.each(['plain', 'encrypted'])('streams 1 GiB in and out (%s) with RSS growth under 100 MB', async (mode) => {
    const spec = `s3:${JSON.stringify({ ...s3.options, partBytes: 8 * MiB, partConcurrency: 2 })}`;
    // Allocating as the artifact service does (MALLOC_TUNING): its memory is what the bound is about.
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_ARGS, path.join(FIXTURES, 'large-round-trip.ts'), spec, String(GiB), mode], { maxBuffer: MiB, env: serviceProcessEnv() });
    const result = JSON.parse(stdout) as { ref: { sha256: string; sizeBytes: number }; generated: string; read: string; readBytes: number; rssGrowth: number };
    expect(result.ref).toEqual({ sha256: result.generated, sizeBytes: GiB });
    expect(result.read).toBe(result.generated);
    expect(result.readBytes).toBe(GiB);
    expect(result.rssGrowth).toBeLessThan(100 * 1000 * 1000);
  }, 300_000);
});
