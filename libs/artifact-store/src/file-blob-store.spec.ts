import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactNotFound, ArtifactTooLarge, BlobTampered, DigestMismatch, FileBlobStore, InvalidDigest, collectGarbage } from './index';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const blobFile = (root: string, digest: string) => path.join(root, 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Small chunks, so multi-frame and multi-chunk paths are exercised. */
function chunked(data: Buffer, size = 7000): Readable {
  return Readable.from((function* () {
    for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
  })());
}

describe.each([
  ['plaintext', undefined],
  ['encrypted', randomBytes(32)],
])('FileBlobStore (%s)', (_mode, encryptionKey) => {
  let root: string;
  let store: FileBlobStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'pw-blobs-'));
    store = await FileBlobStore.open({ root, encryptionKey, maxBytes: 1024 * 1024 });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it.each([0, 1, 65536, 65537, 300_001])('round-trips %i bytes under their SHA-256', async (size) => {
    const data = randomBytes(size);
    const ref = await store.put(chunked(data));
    expect(ref).toEqual({ sha256: sha256(data), sizeBytes: size });
    expect(await store.has(ref.sha256)).toBe(true);
    expect((await readAll(await store.get(ref.sha256))).equals(data)).toBe(true);
    expect(await store.verify(ref.sha256)).toEqual(ref);
  });

  it('stores the same content once when 20 puts race', async () => {
    const data = randomBytes(200_000);
    const refs = await Promise.all(Array.from({ length: 20 }, () => store.put(chunked(data))));
    expect(new Set(refs.map((ref) => ref.sha256))).toEqual(new Set([sha256(data)]));
    const listed = [];
    for await (const entry of store.list()) listed.push(entry.sha256);
    expect(listed).toEqual([sha256(data)]);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
    expect((await readAll(await store.get(sha256(data)))).equals(data)).toBe(true);
  });

  it('refuses content that does not match the expected digest, keeping nothing', async () => {
    const expected = sha256(Buffer.from('something else'));
    await expect(store.put(chunked(randomBytes(1000)), { expectedSha256: expected })).rejects.toBeInstanceOf(DigestMismatch);
    expect(await store.has(expected)).toBe(false);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('aborts a put past the maximum size with ArtifactTooLarge, keeping nothing', async () => {
    const error = await store.put(chunked(randomBytes(1024 * 1024 + 1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactTooLarge);
    expect((error as ArtifactTooLarge).code).toBe('RESOURCE_EXHAUSTED');
    const listed = [];
    for await (const entry of store.list()) listed.push(entry);
    expect(listed).toEqual([]);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('detects a byte changed on disk when the blob is read', async () => {
    const data = randomBytes(100_000);
    const { sha256: digest } = await store.put(chunked(data));
    const file = blobFile(root, digest);
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 40] ^= 0xff;
    await fs.writeFile(file, bytes);
    const expected = encryptionKey ? BlobTampered : DigestMismatch;
    await expect(readAll(await store.get(digest))).rejects.toBeInstanceOf(expected);
    await expect(store.verify(digest)).rejects.toBeInstanceOf(expected);
  });

  it('detects a truncated blob', async () => {
    const { sha256: digest } = await store.put(chunked(randomBytes(150_000)));
    const file = blobFile(root, digest);
    await fs.truncate(file, (await fs.stat(file)).size - 70_000);
    await expect(store.verify(digest)).rejects.toHaveProperty('code', 'DATA_LOSS');
  });

  it('answers NotFound for an unknown digest and refuses malformed ones', async () => {
    const unknown = sha256(Buffer.from('never stored'));
    await expect(store.get(unknown)).rejects.toBeInstanceOf(ArtifactNotFound);
    expect(await store.has(unknown)).toBe(false);
    expect(await store.delete(unknown)).toBe(false);
    await expect(store.get('../../etc/passwd')).rejects.toBeInstanceOf(InvalidDigest);
  });

  it('collects unreferenced blobs older than the grace period and reports them', async () => {
    const kept = await store.put(chunked(Buffer.from('referenced')));
    const young = await store.put(chunked(Buffer.from('young and unreferenced')));
    const old = await store.put(chunked(Buffer.from('old and unreferenced')));
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const ref of [kept, old]) await fs.utimes(blobFile(root, ref.sha256), hourAgo, hourAgo);

    const report = await collectGarbage(store, new Set([kept.sha256]), { graceMillis: 600_000, now: new Date() });

    expect(report.removed.map((entry) => entry.sha256)).toEqual([old.sha256]);
    expect(report.removedBytes).toBeGreaterThan(0);
    expect(report).toMatchObject({ keptReferenced: 1, keptInGracePeriod: 1 });
    expect(await store.has(old.sha256)).toBe(false);
    expect(await store.has(kept.sha256)).toBe(true);
    expect(await store.has(young.sha256)).toBe(true);
  });
});

describe('FileBlobStore encryption at rest', () => {
  let root: string;
  beforeEach(async () => (root = await fs.mkdtemp(path.join(tmpdir(), 'pw-blobs-'))));
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('keeps no plaintext on disk and needs the key to read', async () => {
    const data = Buffer.from('secret build output '.repeat(5000));
    const store = await FileBlobStore.open({ root, encryptionKey: randomBytes(32) });
    const { sha256: digest } = await store.put(chunked(data));
    const onDisk = await fs.readFile(blobFile(root, digest));
    expect(onDisk.includes(Buffer.from('secret build output'))).toBe(false);
    const otherKey = await FileBlobStore.open({ root, encryptionKey: randomBytes(32) });
    await expect(otherKey.verify(digest)).rejects.toBeInstanceOf(BlobTampered);
  });

  it('refuses swapped frames', async () => {
    const store = await FileBlobStore.open({ root, encryptionKey: randomBytes(32) });
    const { sha256: digest } = await store.put(chunked(randomBytes(3 * 65536)));
    const file = blobFile(root, digest);
    const bytes = await fs.readFile(file);
    const header = 20;
    const frame = 4 + 65536 + 16;
    const swapped = Buffer.concat([bytes.subarray(0, header), bytes.subarray(header + frame, header + 2 * frame), bytes.subarray(header, header + frame), bytes.subarray(header + 2 * frame)]);
    await fs.writeFile(file, swapped);
    await expect(store.verify(digest)).rejects.toBeInstanceOf(BlobTampered);
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(FileBlobStore.open({ root, encryptionKey: randomBytes(16) })).rejects.toThrow(/32 bytes/);
  });
});
