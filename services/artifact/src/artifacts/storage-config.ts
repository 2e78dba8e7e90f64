import { FileBlobStore, MIN_PART_BYTES, S3BlobStore, type BlobStore } from '@pipewright/artifact-store';
import { intEnv, workspaceRoot } from '@pipewright/service-kit';
import { join } from 'node:path';

interface CommonStorageConfig {
  /** Undefined: the store's default (5 GiB, CodePipeline's artifact limit). */
  maxBytes?: number;
  /** 32 bytes: blobs are encrypted at rest (AES-256-GCM). */
  encryptionKey?: Buffer;
  /** Keys rotated out: blobs sealed with them are still read. */
  previousEncryptionKeys?: Buffer[];
}

export interface FilesystemStorageConfig extends CommonStorageConfig {
  store: 'filesystem';
  root: string;
}

/** Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID…, profile, instance role). */
export interface S3StorageConfig extends CommonStorageConfig {
  store: 's3';
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  partBytes?: number;
}

export type ArtifactStorageConfig = FilesystemStorageConfig | S3StorageConfig;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * PIPEWRIGHT_ARTIFACT_STORE (filesystem | s3, default filesystem), PIPEWRIGHT_ARTIFACT_MAX_BYTES,
 * PIPEWRIGHT_ARTIFACT_KEY (64 hex characters), PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS (such keys,
 * comma-separated); filesystem: PIPEWRIGHT_ARTIFACT_ROOT (default <repo>/.data/artifacts); s3:
 * PIPEWRIGHT_ARTIFACT_S3_BUCKET (required), _S3_PREFIX, _S3_ENDPOINT, _S3_REGION (default
 * AWS_REGION, else us-east-1), _S3_FORCE_PATH_STYLE (true | false), _S3_PART_BYTES.
 * A bad value stops the service at start, not at the first upload (docs/operations.md).
 */
export function artifactStorageConfig(env: NodeJS.ProcessEnv = process.env): ArtifactStorageConfig {
  const maxBytes = env.PIPEWRIGHT_ARTIFACT_MAX_BYTES ? intEnv('PIPEWRIGHT_ARTIFACT_MAX_BYTES', 0, env) : undefined;
  if (maxBytes !== undefined && maxBytes < 0) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_MAX_BYTES must not be negative');
  const key = env.PIPEWRIGHT_ARTIFACT_KEY;
  if (key && !HEX_KEY.test(key)) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_KEY must be 64 hex characters (32 bytes)');
  const previous = env.PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS ? env.PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS.split(',').map((k) => k.trim()) : [];
  const wrong = previous.findIndex((k) => !HEX_KEY.test(k));
  if (wrong >= 0) throw new Error(`environment variable PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: key ${wrong + 1} must be 64 hex characters (32 bytes)`);
  const previousEncryptionKeys = previous.map((k) => Buffer.from(k, 'hex'));
  const common = { maxBytes, encryptionKey: key ? Buffer.from(key, 'hex') : undefined, previousEncryptionKeys };
  const store = env.PIPEWRIGHT_ARTIFACT_STORE || 'filesystem';
  if (store === 'filesystem') return { store, root: env.PIPEWRIGHT_ARTIFACT_ROOT || join(workspaceRoot, '.data', 'artifacts'), ...common };
  if (store !== 's3') throw new Error(`environment variable PIPEWRIGHT_ARTIFACT_STORE must be filesystem or s3, got ${JSON.stringify(store)}`);
  return { store, ...s3Settings(env), ...common };
}

function s3Settings(env: NodeJS.ProcessEnv): Omit<S3StorageConfig, 'store' | keyof CommonStorageConfig> {
  const bucket = env.PIPEWRIGHT_ARTIFACT_S3_BUCKET;
  if (!bucket) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_S3_BUCKET is required when PIPEWRIGHT_ARTIFACT_STORE is s3');
  const endpoint = env.PIPEWRIGHT_ARTIFACT_S3_ENDPOINT || undefined;
  if (endpoint && !/^https?:\/\/[^/\s]+/.test(endpoint)) throw new Error(`environment variable PIPEWRIGHT_ARTIFACT_S3_ENDPOINT must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  const pathStyle = env.PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE || 'false';
  if (pathStyle !== 'true' && pathStyle !== 'false') throw new Error('environment variable PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE must be true or false');
  const partBytes = env.PIPEWRIGHT_ARTIFACT_S3_PART_BYTES ? intEnv('PIPEWRIGHT_ARTIFACT_S3_PART_BYTES', 0, env) : undefined;
  if (partBytes !== undefined && partBytes < MIN_PART_BYTES) throw new Error(`environment variable PIPEWRIGHT_ARTIFACT_S3_PART_BYTES must be at least ${MIN_PART_BYTES} (S3's smallest part)`);
  const prefix = env.PIPEWRIGHT_ARTIFACT_S3_PREFIX ?? '';
  return { bucket, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix, endpoint, region: env.PIPEWRIGHT_ARTIFACT_S3_REGION || env.AWS_REGION || 'us-east-1', forcePathStyle: pathStyle === 'true', partBytes };
}

/**
 * PIPEWRIGHT_ARTIFACT_RESEAL (true | false): whether the service reseals every blob from its start
 * (BlobStore.reseal) until each is stored as it writes now. Default: while PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS
 * lists a key, i.e. after a rotation. `true` with only a key also encrypts the blobs stored before
 * encryption was turned on.
 */
export function artifactResealOnStart(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.PIPEWRIGHT_ARTIFACT_RESEAL;
  if (value === undefined || value === '') return Boolean(env.PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS?.trim());
  if (value !== 'true' && value !== 'false') throw new Error(`environment variable PIPEWRIGHT_ARTIFACT_RESEAL must be true or false, got ${JSON.stringify(value)}`);
  return value === 'true';
}

/** The configured backend, opened (an S3 bucket that cannot be reached fails here). */
export function openBlobStore(config: ArtifactStorageConfig): Promise<BlobStore> {
  if (config.store === 'filesystem') return FileBlobStore.open(config);
  const { store: _store, ...options } = config;
  return S3BlobStore.open(options);
}

/** For the start-up log line: where blobs go, never a secret. */
export function describeStorage(config: ArtifactStorageConfig): string {
  const where = config.store === 'filesystem' ? `under ${config.root}` : `in s3://${config.bucket}/${config.prefix}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
  const previous = config.previousEncryptionKeys?.length ? `, reading ${config.previousEncryptionKeys.length} previous key(s)` : '';
  return `blobs ${where}${config.encryptionKey ? ', encrypted at rest' : ''}${previous}`;
}
