import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { drainVerified, encryptionKeys, putStages, resealBlob, verifiedRead, type EncryptionOptions } from './blob-codec';
import { assertDigest, type BlobEntry, type BlobRef, type BlobStore, type PutOptions, type ResealOutcome } from './blob-store';
import { ArtifactNotFound, DigestMismatch } from './errors';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART_BYTES = 5 * MiB;
/** S3's largest single CopyObject; larger objects are copied part by part. */
const MAX_COPY_BYTES = 5 * 1024 * MiB;
/** Bytes per UploadPartCopy when a blob is copied part by part: few requests, far below S3's 10,000 parts. */
const COPY_PART_BYTES = 1024 * MiB;
const DEFAULT_MAX_BYTES = 5 * 1024 ** 3;
const DIGEST_NAME = /^[0-9a-f]{64}$/;

/**
 * The AWS SDK, loaded by the first S3 store opened: it is ~6 MB of heap, which a process using the
 * filesystem backend (most, and the job-worker) would otherwise carry and every full GC would walk.
 */
type S3Sdk = typeof import('@aws-sdk/client-s3');

export interface S3BlobStoreOptions extends EncryptionOptions {
  readonly bucket: string;
  /** Prepended to every key, e.g. `pipewright/artifacts/`; lets several installations share a bucket. */
  readonly prefix?: string;
  /** e.g. http://127.0.0.1:9000 for MinIO or s3rver; unset: AWS's endpoint for the region. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Bucket in the path instead of the host name, as most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Unset: the AWS SDK's default chain (AWS_ACCESS_KEY_ID…, profiles, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Largest blob accepted (plaintext bytes). Default 5 GiB, CodePipeline's artifact limit. */
  readonly maxBytes?: number;
  /** Bytes per multipart part, at least 5 MiB (S3's minimum). Default 8 MiB; a blob up to one part is a single PUT. */
  readonly partBytes?: number;
  /** Parts in flight at once per put; memory per put is about (partConcurrency + 1) × partBytes. Default 4. */
  readonly partConcurrency?: number;
  /** Temp objects and incomplete multipart uploads older than this are removed on open (their writer is presumed dead). Default 24 h. */
  readonly staleTempMillis?: number;
  /** The clock that age is measured against. Default `Date.now`; tests pin it to decide what counts as stale. */
  readonly now?: () => number;
  /** Largest blob copied from its temp object with one CopyObject; above it, part by part (UploadPartCopy). Default 5 GiB, S3's limit; lower only to test that path with small blobs. */
  readonly maxCopyBytes?: number;
  /** Bytes per UploadPartCopy part, at least 5 MiB (S3's minimum, all parts but the last). Default 1 GiB. */
  readonly copyPartBytes?: number;
}

/**
 * Blobs in an S3-compatible bucket under `<prefix>sha256/ab/cd/<digest>`, bytes transformed
 * exactly as FileBlobStore does them (blob-codec). A put streams part by part, holding at most a
 * few parts in memory; the digest is known only at the end, so a blob larger than one part goes
 * to a multipart upload under `<prefix>tmp/`, completed only once the digest checks out, then
 * copied to its content key and the temp object deleted. An upload that fails or whose writer dies
 * is never completed, and S3 never lists an incomplete multipart upload: readers see a whole blob
 * or none. A blob of at most one part is a single PUT to its content key (atomic in S3).
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly maxBytes: number;
  private readonly keys: ReturnType<typeof encryptionKeys>;
  private readonly partBytes: number;
  private readonly partConcurrency: number;
  private readonly maxCopyBytes: number;
  private readonly copyPartBytes: number;
  private readonly publishing = new Map<string, Promise<void>>();

  private constructor(
    private readonly sdk: S3Sdk,
    private readonly options: S3BlobStoreOptions,
  ) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keys = encryptionKeys(options);
    this.partBytes = options.partBytes ?? 8 * MiB;
    if (this.partBytes < MIN_PART_BYTES) throw new Error(`S3 part size must be at least ${MIN_PART_BYTES} bytes, got ${this.partBytes}`);
    this.partConcurrency = Math.max(1, options.partConcurrency ?? 4);
    this.maxCopyBytes = options.maxCopyBytes ?? MAX_COPY_BYTES;
    this.copyPartBytes = options.copyPartBytes ?? COPY_PART_BYTES;
    if (this.copyPartBytes < MIN_PART_BYTES) throw new Error(`S3 copy part size must be at least ${MIN_PART_BYTES} bytes, got ${this.copyPartBytes}`);
    this.client = new sdk.S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Our SHA-256 verifies every read; the SDK's extra CRC trailers are not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Checks the bucket is reachable (a bad endpoint, bucket or credential fails here, not at the first upload). */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const sdk = await import('@aws-sdk/client-s3');
    const store = new S3BlobStore(sdk, options);
    try {
      await store.client.send(new sdk.HeadBucketCommand({ Bucket: store.bucket }));
    } catch (error) {
      store.close();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`S3 bucket ${JSON.stringify(store.bucket)} at ${options.endpoint ?? 'AWS'} is not usable (${reason})`);
    }
    await store.removeStaleTemp();
    return store;
  }

  close(): void {
    this.client.destroy();
  }

  async put(content: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<BlobRef> {
    const expected = options.expectedSha256 === undefined ? undefined : assertDigest(options.expectedSha256);
    return this.write(content, expected, Math.min(options.maxBytes ?? this.maxBytes, this.maxBytes));
  }

  private async write(content: Readable | AsyncIterable<Uint8Array>, expected: string | undefined, maxBytes: number): Promise<BlobRef> {
    const { meter, stages } = putStages(maxBytes, this.keys.write);
    const upload = new PartUpload(this.sdk, this.client, this.bucket, `${this.prefix}tmp/${randomUUID()}`, this.partBytes, this.partConcurrency);
    try {
      const source = content instanceof Readable ? content : Readable.from(content);
      const sink = (stored: AsyncIterable<Buffer>) => upload.consume(stored);
      await (stages.length === 1 ? pipeline(source, stages[0], sink) : pipeline(source, stages[0], stages[1], sink));
      const sha256 = meter.digest();
      if (expected && expected !== sha256) throw new DigestMismatch(expected, sha256);
      const target = this.blobKey(sha256);
      // Re-putting known content overwrites it with the same plaintext (atomically, in S3): that also
      // refreshes its time, so a GC pass in its grace period keeps it.
      await this.publishOnce(sha256, async () => {
        if (upload.single) await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: target, Body: upload.single }));
        else await this.copy(await upload.complete(), target);
      });
      return { sha256, sizeBytes: meter.sizeBytes };
    } finally {
      // Best effort, and never in place of the put's own outcome: what it fails to remove is invisible
      // to readers (an incomplete upload, or a temp object the next open removes).
      await upload.discard().catch(() => undefined);
    }
  }

  async get(sha256: string): Promise<Readable> {
    const key = this.blobKey(assertDigest(sha256));
    const response = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key })).catch((error: unknown) => {
      throw isNotFound(error) ? new ArtifactNotFound(sha256) : error;
    });
    return verifiedRead(response.Body as Readable, this.keys.read, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.head(this.blobKey(assertDigest(sha256)))) !== undefined;
  }

  async delete(sha256: string): Promise<boolean> {
    const key = this.blobKey(assertDigest(sha256));
    // S3 answers a delete of a missing key with success; the interface reports whether there was one.
    if ((await this.head(key)) === undefined) return false;
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    return true;
  }

  async *list(): AsyncIterable<BlobEntry> {
    for await (const page of this.sdk.paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${this.prefix}sha256/` })) {
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(object.Key.lastIndexOf('/') + 1) ?? '';
        if (!DIGEST_NAME.test(name)) continue;
        yield { sha256: name, storedBytes: object.Size ?? 0, storedAt: object.LastModified ?? new Date(0) };
      }
    }
  }

  async verify(sha256: string): Promise<BlobRef> {
    return drainVerified(sha256, await this.get(sha256));
  }

  async reseal(sha256: string, signal?: AbortSignal): Promise<ResealOutcome> {
    const key = this.blobKey(assertDigest(sha256));
    // A put of known content replaces the object.
    return resealBlob(this.keys.write, { readStart: (bytes) => this.readStart(key, bytes), get: () => this.get(sha256), rewrite: (plaintext) => this.write(plaintext, sha256, Number.POSITIVE_INFINITY) }, signal);
  }

  /** The object key of a blob: also what the store's tests use to reach the stored bytes. */
  blobKey(sha256: string): string {
    return `${this.prefix}sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }

  /**
   * Puts of the same content in this process publish it once: the others wait for that write, which
   * has just refreshed the blob's time. Fewer redundant uploads, and no concurrent overwrites of one
   * key for servers that, unlike S3, do not replace objects atomically (s3rver writes in place).
   */
  private async publishOnce(sha256: string, write: () => Promise<void>): Promise<void> {
    const running = this.publishing.get(sha256);
    if (running && (await running.then(() => true, () => false))) return;
    const writing = write();
    this.publishing.set(sha256, writing);
    try {
      await writing;
    } finally {
      if (this.publishing.get(sha256) === writing) this.publishing.delete(sha256);
    }
  }

  /**
   * Up to `bytes` from the start of an object; undefined when there is none. The rest of the body is
   * dropped unread (a ranged GET of an empty object is an error on S3, so none is asked for).
   */
  private async readStart(key: string, bytes: number): Promise<Buffer | undefined> {
    const response = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key })).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (!response) return undefined;
    const body = response.Body as Readable;
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of body) {
        chunks.push(chunk as Buffer);
        length += (chunk as Buffer).length;
        if (length >= bytes) break;
      }
    } finally {
      body.destroy();
    }
    return Buffer.concat(chunks, length).subarray(0, bytes);
  }

  private async head(key: string): Promise<number | undefined> {
    try {
      return (await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Server-side copy of a completed temp object to its content key: one request up to 5 GiB (maxCopyBytes), part by part above. */
  private async copy(from: { key: string; sizeBytes: number }, to: string): Promise<void> {
    const CopySource = encodeURI(`${this.bucket}/${from.key}`);
    if (from.sizeBytes <= this.maxCopyBytes) {
      await this.client.send(new this.sdk.CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource }));
      return;
    }
    const { UploadId } = await this.client.send(new this.sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }));
    try {
      const parts: CompletedPart[] = [];
      const partBytes = this.copyPartBytes;
      for (let start = 0, PartNumber = 1; start < from.sizeBytes; start += partBytes, PartNumber++) {
        const end = Math.min(start + partBytes, from.sizeBytes) - 1;
        const { CopyPartResult } = await this.client.send(
          new this.sdk.UploadPartCopyCommand({ Bucket: this.bucket, Key: to, UploadId, PartNumber, CopySource, CopySourceRange: `bytes=${start}-${end}` }),
        );
        parts.push({ PartNumber, ETag: CopyPartResult?.ETag });
      }
      await this.client.send(new this.sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Completed temp objects whose writer died between completing and copying, and, where the server
   * lists them, incomplete multipart uploads: a dead writer's under tmp/, and a part-by-part copy's
   * under sha256/ whose abort failed too. Writers on other hosts cannot be asked, so only age counts.
   */
  private async removeStaleTemp(): Promise<void> {
    const staleBefore = (this.options.now ?? Date.now)() - (this.options.staleTempMillis ?? 24 * 3600_000);
    const Prefix = `${this.prefix}tmp/`;
    for await (const page of this.sdk.paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix })) {
      for (const object of page.Contents ?? []) {
        if ((object.LastModified?.getTime() ?? 0) < staleBefore) await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: object.Key }));
      }
    }
    const ours = [Prefix, `${this.prefix}sha256/`];
    try {
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (;;) {
        const listed = await this.client.send(new this.sdk.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, ...markers }));
        for (const upload of listed.Uploads ?? []) {
          if (!ours.some((prefix) => upload.Key?.startsWith(prefix)) || (upload.Initiated?.getTime() ?? 0) >= staleBefore) continue;
          await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        }
        if (!listed.IsTruncated) break;
        markers = { KeyMarker: listed.NextKeyMarker, UploadIdMarker: listed.NextUploadIdMarker };
      }
    } catch (error) {
      // Some S3-compatible servers do not list uploads; a bucket lifecycle rule then aborts them (docs/operations.md).
      if ((error as Error).name !== 'NotImplemented') throw error;
    }
  }
}

/**
 * The stored bytes cut into parts as they stream by. Parts are filled by copying into a buffer of
 * exactly `partBytes` (one copy, and parts of the size S3 wants whatever the chunk sizes); the
 * multipart upload starts only when a second part is needed, so small blobs are a single PUT.
 */
class PartUpload {
  /** Set when the whole blob fitted in one part: it is PUT directly to its content key. */
  single: Buffer | undefined;
  private uploadId: string | undefined;
  private completed = false;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private nextPartNumber = 1;
  private buffer: Buffer;
  /** Buffers whose part request has finished: reused, so a blob costs (concurrency + 1) buffers, not one per part. */
  private readonly free: Buffer[] = [];
  private filled = 0;
  private sizeBytes = 0;

  constructor(
    private readonly sdk: S3Sdk,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partBytes: number,
    private readonly concurrency: number,
  ) {
    this.buffer = Buffer.allocUnsafe(partBytes);
  }

  async consume(stored: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of stored) {
      let offset = 0;
      while (offset < chunk.length) {
        if (this.filled === this.partBytes) await this.sendPart();
        const copied = chunk.copy(this.buffer, this.filled, offset);
        this.filled += copied;
        offset += copied;
      }
    }
    if (this.uploadId === undefined) {
      this.single = this.buffer.subarray(0, this.filled);
      return;
    }
    if (this.filled > 0) await this.sendPart();
    await this.settle();
  }

  /** Completes the multipart upload (call only after the digest checked out). */
  async complete(): Promise<{ key: string; sizeBytes: number }> {
    const sorted = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
    await this.client.send(new this.sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: sorted } }));
    this.completed = true;
    return { key: this.key, sizeBytes: this.sizeBytes };
  }

  /** Whatever happened, nothing of this upload stays behind: parts aborted, temp object deleted. */
  async discard(): Promise<void> {
    await this.settle().catch(() => undefined);
    if (this.uploadId === undefined) return;
    if (this.completed) await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
    else await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
  }

  private async sendPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const { UploadId } = await this.client.send(new this.sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }));
      this.uploadId = UploadId;
    }
    const PartNumber = this.nextPartNumber++;
    const sent = this.buffer;
    const Body = sent.subarray(0, this.filled);
    this.sizeBytes += Body.length;
    const sending: Promise<void> = this.client
      .send(new this.sdk.UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body }))
      .then(({ ETag }) => void this.parts.push({ PartNumber, ETag }))
      .catch((error: unknown) => void (this.failure ??= error))
      .finally(() => {
        this.inFlight.delete(sending);
        this.free.push(sent);
      });
    this.inFlight.add(sending);
    // Another buffer: the one just sent belongs to its request until the request is done.
    this.buffer = this.free.pop() ?? Buffer.allocUnsafe(this.partBytes);
    this.filled = 0;
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  private async settle(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
