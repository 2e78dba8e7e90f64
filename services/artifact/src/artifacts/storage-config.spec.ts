import { workspaceRoot } from '@pipewright/service-kit';
import { join } from 'node:path';
import { artifactResealOnStart, artifactStorageConfig } from './storage-config';

describe('artifactStorageConfig', () => {
  it('defaults to <repo>/.data/artifacts, the store default size limit and no encryption', () => {
    expect(artifactStorageConfig({})).toEqual({ store: 'filesystem', root: join(workspaceRoot, '.data', 'artifacts'), maxBytes: undefined, encryptionKey: undefined, previousEncryptionKeys: [] });
  });

  it('reads the root, the size limit and a 64-hex-character key', () => {
    const key = 'ab'.repeat(32);
    const config = artifactStorageConfig({ PIPEWRIGHT_ARTIFACT_ROOT: '/srv/blobs', PIPEWRIGHT_ARTIFACT_MAX_BYTES: '1048576', PIPEWRIGHT_ARTIFACT_KEY: key });
    expect(config).toEqual({ store: 'filesystem', root: '/srv/blobs', maxBytes: 1048576, encryptionKey: Buffer.from(key, 'hex'), previousEncryptionKeys: [] });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('reads the keys rotated out, comma-separated, for reading only', () => {
    const [current, old1, old2] = ['ab', 'cd', 'ef'].map((byte) => byte.repeat(32));
    const config = artifactStorageConfig({ PIPEWRIGHT_ARTIFACT_KEY: current, PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: `${old1}, ${old2}` });
    expect(config.encryptionKey).toEqual(Buffer.from(current, 'hex'));
    expect(config.previousEncryptionKeys).toEqual([Buffer.from(old1, 'hex'), Buffer.from(old2, 'hex')]);
  });

  it('reads the S3 backend: bucket, prefix, endpoint, region, path style and part size', () => {
    const config = artifactStorageConfig({
      PIPEWRIGHT_ARTIFACT_STORE: 's3',
      PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'ci-artifacts',
      PIPEWRIGHT_ARTIFACT_S3_PREFIX: 'pipewright',
      PIPEWRIGHT_ARTIFACT_S3_ENDPOINT: 'http://minio.internal:9000',
      PIPEWRIGHT_ARTIFACT_S3_REGION: 'eu-west-1',
      PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
      PIPEWRIGHT_ARTIFACT_S3_PART_BYTES: String(16 * 1024 * 1024),
    });
    expect(config).toEqual({
      store: 's3',
      bucket: 'ci-artifacts',
      prefix: 'pipewright/',
      endpoint: 'http://minio.internal:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      partBytes: 16 * 1024 * 1024,
      maxBytes: undefined,
      encryptionKey: undefined,
      previousEncryptionKeys: [],
    });
  });

  it('defaults S3 to AWS: no endpoint, AWS_REGION, virtual-hosted buckets, no prefix', () => {
    expect(artifactStorageConfig({ PIPEWRIGHT_ARTIFACT_STORE: 's3', PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'b', AWS_REGION: 'ap-south-1' })).toMatchObject({
      store: 's3',
      bucket: 'b',
      prefix: '',
      endpoint: undefined,
      region: 'ap-south-1',
      forcePathStyle: false,
      partBytes: undefined,
    });
  });

  it.each([
    ['an unknown store', { PIPEWRIGHT_ARTIFACT_STORE: 'gcs' }, /PIPEWRIGHT_ARTIFACT_STORE must be filesystem or s3, got "gcs"/],
    ['s3 without a bucket', { PIPEWRIGHT_ARTIFACT_STORE: 's3' }, /PIPEWRIGHT_ARTIFACT_S3_BUCKET is required/],
    ['an endpoint that is not a URL', { PIPEWRIGHT_ARTIFACT_STORE: 's3', PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'b', PIPEWRIGHT_ARTIFACT_S3_ENDPOINT: 'minio:9000' }, /PIPEWRIGHT_ARTIFACT_S3_ENDPOINT/],
    ['a path style that is not a boolean', { PIPEWRIGHT_ARTIFACT_STORE: 's3', PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'b', PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE: 'yes' }, /PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE/],
    ['a part size below 5 MiB', { PIPEWRIGHT_ARTIFACT_STORE: 's3', PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'b', PIPEWRIGHT_ARTIFACT_S3_PART_BYTES: '1048576' }, /PIPEWRIGHT_ARTIFACT_S3_PART_BYTES must be at least 5242880/],
    ['a key of the wrong length', { PIPEWRIGHT_ARTIFACT_KEY: 'ab'.repeat(16) }, /PIPEWRIGHT_ARTIFACT_KEY/],
    ['a key that is not hex', { PIPEWRIGHT_ARTIFACT_KEY: 'zz'.repeat(32) }, /PIPEWRIGHT_ARTIFACT_KEY/],
    ['a previous key of the wrong length, naming which', { PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: `${'ab'.repeat(32)},${'cd'.repeat(31)}` }, /PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: key 2 must be 64 hex/],
    ['an empty previous key (a stray comma)', { PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: `${'ab'.repeat(32)},` }, /PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: key 2/],
    ['a size that is not an integer', { PIPEWRIGHT_ARTIFACT_MAX_BYTES: '5GB' }, /PIPEWRIGHT_ARTIFACT_MAX_BYTES/],
    ['a negative size', { PIPEWRIGHT_ARTIFACT_MAX_BYTES: '-1' }, /PIPEWRIGHT_ARTIFACT_MAX_BYTES/],
  ])('refuses %s at start', (_label, env, message) => {
    expect(() => artifactStorageConfig(env)).toThrow(message);
  });
});

describe('artifactResealOnStart', () => {
  const key = 'ab'.repeat(32);

  it('reseals after a rotation (a previous key listed) unless told not to, and otherwise only when told to', () => {
    expect(artifactResealOnStart({})).toBe(false);
    expect(artifactResealOnStart({ PIPEWRIGHT_ARTIFACT_KEY: key })).toBe(false);
    expect(artifactResealOnStart({ PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: key })).toBe(true);
    expect(artifactResealOnStart({ PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: key, PIPEWRIGHT_ARTIFACT_RESEAL: 'false' })).toBe(false);
    expect(artifactResealOnStart({ PIPEWRIGHT_ARTIFACT_KEY: key, PIPEWRIGHT_ARTIFACT_RESEAL: 'true' })).toBe(true);
  });

  it('refuses a value other than true or false at start', () => {
    expect(() => artifactResealOnStart({ PIPEWRIGHT_ARTIFACT_RESEAL: 'yes' })).toThrow(/PIPEWRIGHT_ARTIFACT_RESEAL must be true or false, got "yes"/);
  });
});
