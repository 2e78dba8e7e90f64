import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startS3Server, type S3TestServer } from '../test/s3-server';
import { startS3Mock } from '../test/s3mock-server';
import { ArtifactNotFound, ArtifactTooLarge, BlobNeedsKey, BlobTampered, type BlobStore, DigestMismatch, type EncryptionOptions, encryptStream, FileBlobStore, FRAME_BYTES, InvalidDigest, resealBlobs, S3BlobStore, collectGarbage } from './index';

// One contract, every backend: the same tests run against the filesystem and two real S3-compatible
// servers (s3rver and S3Mock, each in its own process). A backend brings only how a test reaches its stored bytes.

const MAX_BYTES = 3 * FRAME_BYTES;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

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

interface StoreOptions extends EncryptionOptions {
  maxBytes?: number;
}

/** One test's storage location on a backend: stores opened on it share their blobs. */
interface Location {
  open(options: StoreOptions): Promise<BlobStore>;
  /** The bytes as stored (ciphertext when encrypted), bypassing the store. */
  readStored(digest: string): Promise<Buffer>;
  writeStored(digest: string, bytes: Buffer): Promise<void>;
  /** Temp files or objects a put left behind. */
  leftovers(): Promise<string[]>;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  location(): Promise<Location>;
}

const filesystem = (): Backend => ({
  name: 'filesystem',
  start: async () => undefined,
  stop: async () => undefined,
  location: async () => {
    const root = await fs.mkdtemp(path.join(tmpdir(), 'pw-blobs-'));
    const file = (digest: string) => path.join(root, 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest);
    return {
      open: (options) => FileBlobStore.open({ root, ...options }),
      readStored: (digest) => fs.readFile(file(digest)),
      writeStored: (digest, bytes) => fs.writeFile(file(digest), bytes),
      leftovers: () => fs.readdir(path.join(root, 'tmp')),
      dispose: () => fs.rm(root, { recursive: true, force: true }),
    };
  },
});

const s3 = (name: string, startServer: () => Promise<S3TestServer>): Backend => {
  let server: S3TestServer;
  let locations = 0;
  return {
    name,
    start: async () => void (server = await startServer()),
    stop: () => server.stop(),
    location: async () => {
      // A key prefix per test: one server, isolated tests.
      const prefix = `test-${++locations}/`;
      const stores: S3BlobStore[] = [];
      const open = async (options: StoreOptions) => {
        const store = await S3BlobStore.open({ ...server.connection, prefix, ...options });
        stores.push(store);
        return store;
      };
      const raw = (await open({})) as S3BlobStore;
      const Bucket = server.bucket;
      return {
        open,
        readStored: async (digest) => Buffer.from(await (await raw.client.send(new GetObjectCommand({ Bucket, Key: raw.blobKey(digest) }))).Body!.transformToByteArray()),
        writeStored: async (digest, Body) => void (await raw.client.send(new PutObjectCommand({ Bucket, Key: raw.blobKey(digest), Body }))),
        leftovers: async () => ((await raw.client.send(new ListObjectsV2Command({ Bucket, Prefix: `${prefix}tmp/` }))).Contents ?? []).map((o) => o.Key!),
        dispose: async () => stores.forEach((store) => store.close()),
      };
    },
  };
};

/** Resolves once the clock has entered the next whole second (S3 keeps modification times in seconds). */
async function nextSecond(): Promise<number> {
  const boundary = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, boundary - Date.now() + 5));
  return boundary;
}

describe.each([filesystem(), s3('s3 (s3rver)', startS3Server), s3('s3 (S3Mock)', startS3Mock)])('BlobStore contract on $name', (backend) => {
  // S3Mock is a JVM: its start takes tens of seconds on a loaded machine.
  beforeAll(() => backend.start(), 240_000);
  afterAll(() => backend.stop(), 60_000);

  describe.each([
    ['plaintext', undefined],
    ['encrypted', randomBytes(32)],
  ])('%s', (_mode, encryptionKey) => {
    let location: Location;
    let store: BlobStore;

    beforeEach(async () => {
      location = await backend.location();
      store = await location.open({ encryptionKey, maxBytes: MAX_BYTES });
    });
    afterEach(() => location.dispose());

    it.each([0, 1, 65536, 300_001, FRAME_BYTES, FRAME_BYTES + 1, 2 * FRAME_BYTES + 7001])('round-trips %i bytes under their SHA-256', async (size) => {
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
      expect(await location.leftovers()).toEqual([]);
      expect((await readAll(await store.get(sha256(data)))).equals(data)).toBe(true);
    });

    it('refuses content that does not match the expected digest, keeping nothing', async () => {
      const expected = sha256(Buffer.from('something else'));
      const error = await store.put(chunked(randomBytes(1000)), { expectedSha256: expected }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DigestMismatch);
      expect((error as DigestMismatch).code).toBe('DATA_LOSS');
      expect(await store.has(expected)).toBe(false);
      expect(await location.leftovers()).toEqual([]);
    });

    it('aborts a put past the maximum size with ArtifactTooLarge, keeping nothing', async () => {
      const error = await store.put(chunked(randomBytes(MAX_BYTES + 1))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArtifactTooLarge);
      expect((error as ArtifactTooLarge).code).toBe('RESOURCE_EXHAUSTED');
      const listed = [];
      for await (const entry of store.list()) listed.push(entry);
      expect(listed).toEqual([]);
      expect(await location.leftovers()).toEqual([]);
    });

    it('detects a byte changed in storage when the blob is read', async () => {
      const data = randomBytes(100_000);
      const { sha256: digest } = await store.put(chunked(data));
      const bytes = await location.readStored(digest);
      bytes[bytes.length - 40] ^= 0xff;
      await location.writeStored(digest, bytes);
      const expected = encryptionKey ? BlobTampered : DigestMismatch;
      await expect(readAll(await store.get(digest))).rejects.toBeInstanceOf(expected);
      await expect(store.verify(digest)).rejects.toBeInstanceOf(expected);
    });

    it('detects a truncated blob', async () => {
      const { sha256: digest } = await store.put(chunked(randomBytes(150_000)));
      const bytes = await location.readStored(digest);
      await location.writeStored(digest, bytes.subarray(0, bytes.length - 70_000));
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
      const old = await store.put(chunked(Buffer.from('old and unreferenced')));
      // Older/younger is decided by the backend's own modification times, which S3 keeps in whole seconds.
      const boundary = await nextSecond();
      const young = await store.put(chunked(Buffer.from('young and unreferenced')));
      const now = new Date();

      const report = await collectGarbage(store, new Set([kept.sha256]), { graceMillis: now.getTime() - boundary + 1, now });

      expect(report.removed.map((entry) => entry.sha256)).toEqual([old.sha256]);
      expect(report.removedBytes).toBeGreaterThan(0);
      expect(report).toMatchObject({ keptReferenced: 1, keptInGracePeriod: 1 });
      expect(await store.has(old.sha256)).toBe(false);
      expect(await store.has(kept.sha256)).toBe(true);
      expect(await store.has(young.sha256)).toBe(true);
    });
  });

  describe('encryption at rest', () => {
    let location: Location;
    beforeEach(async () => (location = await backend.location()));
    afterEach(() => location.dispose());

    it('keeps no plaintext in storage and needs the key to read', async () => {
      const data = Buffer.from('secret build output '.repeat(5000));
      const store = await location.open({ encryptionKey: randomBytes(32) });
      const { sha256: digest } = await store.put(chunked(data));
      expect((await location.readStored(digest)).includes(Buffer.from('secret build output'))).toBe(false);
      const otherKey = await location.open({ encryptionKey: randomBytes(32) });
      await expect(otherKey.verify(digest)).rejects.toBeInstanceOf(BlobTampered);
    });

    it('refuses swapped frames', async () => {
      const store = await location.open({ encryptionKey: randomBytes(32) });
      const { sha256: digest } = await store.put(chunked(randomBytes(3 * FRAME_BYTES), 256 * 1024));
      const bytes = await location.readStored(digest);
      const header = 20;
      const frame = 4 + FRAME_BYTES + 16;
      const swapped = Buffer.concat([bytes.subarray(0, header), bytes.subarray(header + frame, header + 2 * frame), bytes.subarray(header, header + frame), bytes.subarray(header + 2 * frame)]);
      await location.writeStored(digest, swapped);
      await expect(store.verify(digest)).rejects.toBeInstanceOf(BlobTampered);
    });

    it('reads blobs written with the earlier 64 KiB frames', async () => {
      const key = randomBytes(32);
      const store = await location.open({ encryptionKey: key });
      const data = randomBytes(5 * 65536 + 99);
      const { sha256: digest } = await store.put(chunked(data));
      const frames: Buffer[] = [];
      await pipeline(chunked(data), encryptStream(key, 65536), async (stored: AsyncIterable<Buffer>) => {
        for await (const chunk of stored) frames.push(chunk);
      });
      await location.writeStored(digest, Buffer.concat(frames));
      expect((await readAll(await store.get(digest))).equals(data)).toBe(true);
    });

    it('turned on for a store that has blobs: those stay readable (and verified) as they were stored, new ones are encrypted', async () => {
      const before = await location.open({});
      const stored = [Buffer.alloc(0), Buffer.from('abc'), randomBytes(2 * FRAME_BYTES + 5)];
      const digests = [];
      for (const data of stored) digests.push((await before.put(chunked(data))).sha256);
      const keyed = await location.open({ encryptionKey: randomBytes(32) });
      for (const [i, data] of stored.entries()) expect((await readAll(await keyed.get(digests[i]))).equals(data)).toBe(true);
      expect(await keyed.verify(digests[2])).toEqual({ sha256: digests[2], sizeBytes: stored[2].length });

      const secret = Buffer.from('secret build output '.repeat(5000));
      const { sha256: digest } = await keyed.put(chunked(secret));
      expect((await location.readStored(digest)).includes(Buffer.from('secret build output'))).toBe(false);
      // A blob from before is still checked against its digest: other bytes in its place are refused.
      await location.writeStored(digests[1], Buffer.from('abd'));
      await expect(keyed.verify(digests[1])).rejects.toBeInstanceOf(DigestMismatch);
    });

    it('read by a store without the key, an encrypted blob says it needs the key (FAILED_PRECONDITION), not that it is damaged', async () => {
      const { sha256: digest } = await (await location.open({ encryptionKey: randomBytes(32) })).put(chunked(randomBytes(70_000)));
      const keyless = await location.open({});
      const error = await keyless.verify(digest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobNeedsKey);
      expect(error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('PIPEWRIGHT_ARTIFACT_KEY') });
    });

    it('rotated: the new key writes, blobs sealed with a previous key still read; one sealed with no configured key is refused', async () => {
      const [old, current, unknown] = [randomBytes(32), randomBytes(32), randomBytes(32)];
      const before = randomBytes(FRAME_BYTES + 300);
      const { sha256: oldDigest } = await (await location.open({ encryptionKey: old })).put(chunked(before));
      const rotated = await location.open({ encryptionKey: current, previousEncryptionKeys: [old] });
      expect((await readAll(await rotated.get(oldDigest))).equals(before)).toBe(true);
      const after = randomBytes(5000);
      const { sha256: newDigest } = await rotated.put(chunked(after));
      // Written with the new key alone: a store that has only the old one cannot open it.
      await expect((await location.open({ encryptionKey: old })).verify(newDigest)).rejects.toBeInstanceOf(BlobTampered);
      expect((await readAll(await (await location.open({ encryptionKey: current })).get(newDigest))).equals(after)).toBe(true);
      const error = await (await location.open({ encryptionKey: unknown, previousEncryptionKeys: [randomBytes(32)] })).verify(oldDigest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobTampered);
      expect((error as Error).message).toContain('no configured key opens it');
    });

    it('resealed after a rotation: every readable blob is stored under the current key, so the previous key can go', async () => {
      const [old, current] = [randomBytes(32), randomBytes(32)];
      const legacy = Buffer.from('stored before encryption '.repeat(100));
      const sealedWithOld = [Buffer.alloc(0), randomBytes(2 * FRAME_BYTES + 5)];
      const digests = [(await (await location.open({})).put(chunked(legacy))).sha256];
      const oldStore = await location.open({ encryptionKey: old });
      for (const data of sealedWithOld) digests.push((await oldStore.put(chunked(data))).sha256);
      const rotated = await location.open({ encryptionKey: current, previousEncryptionKeys: [old] });
      const fresh = randomBytes(5000);
      const { sha256: freshDigest } = await rotated.put(chunked(fresh));
      // Sealed with a key no store has any more: reported, and left as it was.
      const { sha256: lostDigest } = await (await location.open({ encryptionKey: randomBytes(32) })).put(chunked(randomBytes(100)));
      const lostBytes = await location.readStored(lostDigest);

      const outcomes: string[] = [];
      const report = await resealBlobs(rotated, { onBlob: (outcome) => outcomes.push(outcome) });

      expect(report).toEqual({ resealed: 3, current: 1, failed: [{ sha256: lostDigest, reason: expect.stringContaining('no configured key opens it') }] });
      expect(outcomes.sort()).toEqual(['current', 'failed', 'resealed', 'resealed', 'resealed']);
      expect((await location.readStored(lostDigest)).equals(lostBytes)).toBe(true);
      expect((await location.readStored(digests[0])).includes(Buffer.from('stored before encryption'))).toBe(false);
      const onlyCurrent = await location.open({ encryptionKey: current });
      for (const [i, data] of [legacy, ...sealedWithOld, fresh].entries()) {
        expect((await readAll(await onlyCurrent.get([...digests, freshDigest][i]))).equals(data)).toBe(true);
      }
      // Nothing left to do, and a blob that is gone is no failure.
      expect(await resealBlobs(rotated)).toMatchObject({ resealed: 0, current: 4 });
      expect(await rotated.reseal(sha256(Buffer.from('never stored')))).toBe('missing');
    });

    it('a reseal stopped before it rewrote the blob (a shutdown) leaves it as it was, and nothing behind', async () => {
      const old = randomBytes(32);
      const data = randomBytes(3 * FRAME_BYTES);
      const { sha256: digest } = await (await location.open({ encryptionKey: old })).put(chunked(data));
      const before = await location.readStored(digest);
      const rotated = await location.open({ encryptionKey: randomBytes(32), previousEncryptionKeys: [old] });
      const stopped = new AbortController();
      stopped.abort();
      await expect(rotated.reseal(digest, stopped.signal)).rejects.toThrow();
      expect((await location.readStored(digest)).equals(before)).toBe(true);
      expect(await location.leftovers()).toEqual([]);
      expect(await resealBlobs(rotated, { signal: stopped.signal })).toEqual({ resealed: 0, current: 0, failed: [] });
    });

    it('resealed with previous keys and no current one: blobs are stored as plaintext again (encryption turned off)', async () => {
      const key = randomBytes(32);
      const data = Buffer.from('build output '.repeat(1000));
      const { sha256: digest } = await (await location.open({ encryptionKey: key })).put(chunked(data));
      const turnedOff = await location.open({ previousEncryptionKeys: [key] });
      expect(await turnedOff.reseal(digest)).toBe('resealed');
      expect((await location.readStored(digest)).equals(data)).toBe(true);
      expect(await turnedOff.reseal(digest)).toBe('current');
    });

    it('refuses a key that is not 32 bytes', async () => {
      await expect(location.open({ encryptionKey: randomBytes(16) })).rejects.toThrow(/32 bytes/);
      await expect(location.open({ encryptionKey: randomBytes(32), previousEncryptionKeys: [randomBytes(31)] })).rejects.toThrow(/32 bytes/);
    });
  });
});
