import { intEnv, workspaceRoot } from '@pipewright/service-kit';
import { join } from 'node:path';

export interface ArtifactStorageConfig {
  root: string;
  /** Undefined: the store's default (5 GiB, CodePipeline's artifact limit). */
  maxBytes?: number;
  /** 32 bytes: blobs are encrypted at rest (AES-256-GCM). */
  encryptionKey?: Buffer;
}

/**
 * PIPEWRIGHT_ARTIFACT_ROOT (default <repo>/.data/artifacts), PIPEWRIGHT_ARTIFACT_MAX_BYTES,
 * PIPEWRIGHT_ARTIFACT_KEY (64 hex characters). A bad value stops the service at start, not at the first upload.
 */
export function artifactStorageConfig(env: NodeJS.ProcessEnv = process.env): ArtifactStorageConfig {
  const root = env.PIPEWRIGHT_ARTIFACT_ROOT || join(workspaceRoot, '.data', 'artifacts');
  const maxBytes = env.PIPEWRIGHT_ARTIFACT_MAX_BYTES ? intEnv('PIPEWRIGHT_ARTIFACT_MAX_BYTES', 0, env) : undefined;
  if (maxBytes !== undefined && maxBytes < 0) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_MAX_BYTES must not be negative');
  const key = env.PIPEWRIGHT_ARTIFACT_KEY;
  if (key && !/^[0-9a-fA-F]{64}$/.test(key)) throw new Error('environment variable PIPEWRIGHT_ARTIFACT_KEY must be 64 hex characters (32 bytes)');
  return { root, maxBytes, encryptionKey: key ? Buffer.from(key, 'hex') : undefined };
}
