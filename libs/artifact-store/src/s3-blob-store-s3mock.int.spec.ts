import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type MultipartUpload } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { startS3Mock } from '../test/s3mock-server';
import { chunked, MiB, s3StoresOf, sha256 } from '../test/s3-stores';
import { MIN_PART_BYTES, S3BlobStore } from './index';

// The S3 paths s3rver does not implement, against S3Mock (a real S3-compatible server in its own JVM):
// the part-by-part server-side copy of a blob too large for one CopyObject (driven with a lowered
// threshold, as real ones start at 5 GiB) and the start-up sweep of incomplete multipart uploads.

describe('S3BlobStore against S3Mock', () => {
  const s3 = s3StoresOf(startS3Mock, 's3mock', { startTimeoutMs: 240_000 });
  const { open } = s3;
  const objects = async (store: S3BlobStore, Prefix = s3.options.prefix) =>
    ((await store.client.send(new ListObjectsV2Command({ Bucket: s3.server.bucket, Prefix }))).Contents ?? []).map((o) => o.Key!);
  const uploads = async (store: S3BlobStore, Prefix = s3.options.prefix): Promise<MultipartUpload[]> =>
    (await store.client.send(new ListMultipartUploadsCommand({ Bucket: s3.server.bucket, Prefix }))).Uploads ?? [];
  const startUpload = async (store: S3BlobStore, Key: string) => {
    await store.client.send(new CreateMultipartUploadCommand({ Bucket: s3.server.bucket, Key }));
    const upload = (await uploads(store, Key)).find((u) => u.Key === Key);
    if (!upload?.Initiated) throw new Error(`S3Mock does not list the upload of ${Key} with its start time`);
    return upload;
  };

  it.each([
    ['plaintext', undefined],
    ['encrypted', randomBytes(32)],
  ])('copies a blob above the single-copy limit part by part (UploadPartCopy) and reads it back verified (%s)', async (_mode, encryptionKey) => {
    // Uploaded in 2 parts of 8 MiB, copied in 3 of 5 MiB (the last one shorter): the content key's
    // multipart ETag ends in the number of copied parts, which a single CopyObject would not give.
    const store = await open({ encryptionKey, partBytes: 8 * MiB, maxCopyBytes: 12 * MiB, copyPartBytes: MIN_PART_BYTES });
    const data = randomBytes(13 * MiB + 12345);
    const ref = await store.put(chunked(data));
    expect(ref).toEqual({ sha256: sha256(data), sizeBytes: data.length });

    const head = await store.client.send(new HeadObjectCommand({ Bucket: s3.server.bucket, Key: store.blobKey(ref.sha256) }));
    expect(head.ETag).toMatch(/-3"$/);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(ref.sha256)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(await store.verify(ref.sha256)).toEqual(ref);
    // The temp object is gone and neither the temp upload nor the copy's is left open.
    expect(await objects(store)).toEqual([store.blobKey(ref.sha256)]);
    expect(await uploads(store)).toEqual([]);
  }, 120_000);

  it('copies a blob at the single-copy limit with one CopyObject', async () => {
    const store = await open({ partBytes: MIN_PART_BYTES, maxCopyBytes: 12 * MiB, copyPartBytes: MIN_PART_BYTES });
    const data = randomBytes(12 * MiB);
    const ref = await store.put(chunked(data));
    const head = await store.client.send(new HeadObjectCommand({ Bucket: s3.server.bucket, Key: store.blobKey(ref.sha256) }));
    expect(head.ContentLength).toBe(data.length);
    // A plain MD5 ETag: one copied object, not parts.
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await store.verify(ref.sha256)).toEqual(ref);
    expect(await objects(store)).toEqual([store.blobKey(ref.sha256)]);
    expect(await uploads(store)).toEqual([]);
  }, 120_000);

  it('refuses a copy part size below the S3 minimum', async () => {
    await expect(S3BlobStore.open({ ...s3.options, copyPartBytes: MiB })).rejects.toThrow(/copy part size must be at least 5242880 bytes/);
  });

  it('aborts incomplete multipart uploads older than the cut-off when a store opens, and only those', async () => {
    const store = await open();
    const old = await startUpload(store, `${s3.options.prefix}tmp/from-a-writer-that-died`);
    // A part-by-part copy to a content key whose abort failed as well: as old, so swept too.
    const copy = await startUpload(store, store.blobKey(sha256(Buffer.from('a copy that failed'))));
    // Under the prefix but not a key the store writes: not its own, left alone however old.
    const notOurs = await startUpload(store, `${s3.options.prefix}elsewhere/an-old-upload`);
    // Start times are kept in milliseconds: the next upload is strictly younger.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fresh = await startUpload(store, `${s3.options.prefix}tmp/from-a-writer-still-running`);
    const otherInstallation = await startUpload(store, `other-${s3.options.prefix}tmp/from-a-writer-that-died`);
    expect(fresh.Initiated!.getTime()).toBeGreaterThan(old.Initiated!.getTime());
    expect(fresh.Initiated!.getTime()).toBeGreaterThan(copy.Initiated!.getTime());

    // Opened "a day after" the fresh upload started: exactly the older ones are past the cut-off.
    const day = 24 * 3600_000;
    await open({ now: () => fresh.Initiated!.getTime() + day });

    expect((await uploads(store)).map((u) => u.UploadId).sort()).toEqual([fresh.UploadId, notOurs.UploadId].sort());
    expect((await uploads(store, 'other-')).map((u) => u.UploadId)).toEqual([otherInstallation.UploadId]);
  });

  it('leaves every incomplete upload alone at the default cut-off', async () => {
    const store = await open();
    const running = await startUpload(store, `${s3.options.prefix}tmp/from-a-writer-still-running`);
    await open();
    expect((await uploads(store)).map((u) => u.UploadId)).toEqual([running.UploadId]);
  });
});
