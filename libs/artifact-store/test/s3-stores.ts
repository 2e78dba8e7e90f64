import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3BlobStore, type S3BlobStoreOptions } from '../src/index';
import type { S3TestServer } from './s3-server';

export const MiB = 1024 * 1024;

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The data as a stream of `size`-byte chunks (small ones exercise multi-frame and multi-chunk paths). */
export function chunked(data: Buffer, size = 256 * 1024): Readable {
  return Readable.from((function* () {
    for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
  })());
}

/**
 * S3 blob stores of one suite against one test server: each test gets a prefix of its own, and the
 * stores it opened are closed after it. Registers the suite's hooks; call inside a describe.
 */
export function s3StoresOf(start: () => Promise<S3TestServer>, prefixName: string, { startTimeoutMs = 60_000, defaults = {} as Partial<S3BlobStoreOptions> } = {}) {
  const suite = { server: undefined as unknown as S3TestServer, options: undefined as unknown as S3BlobStoreOptions };
  const stores: S3BlobStore[] = [];
  let prefixes = 0;
  beforeAll(async () => (suite.server = await start()), startTimeoutMs);
  afterAll(() => suite.server?.stop(), 60_000);
  beforeEach(() => (suite.options = { ...suite.server.connection, prefix: `${prefixName}-${++prefixes}/`, ...defaults }));
  afterEach(() => stores.splice(0).forEach((store) => store.close()));
  return Object.assign(suite, {
    async open(extra: Partial<S3BlobStoreOptions> = {}): Promise<S3BlobStore> {
      const store = await S3BlobStore.open({ ...suite.options, ...extra });
      stores.push(store);
      return store;
    },
  });
}
