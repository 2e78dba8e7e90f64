import { workspaceRoot } from '@pipewright/service-kit';
import { join } from 'node:path';
import { artifactStorageConfig } from './storage-config';

describe('artifactStorageConfig', () => {
  it('defaults to <repo>/.data/artifacts, the store default size limit and no encryption', () => {
    expect(artifactStorageConfig({})).toEqual({ root: join(workspaceRoot, '.data', 'artifacts'), maxBytes: undefined, encryptionKey: undefined });
  });

  it('reads the root, the size limit and a 64-hex-character key', () => {
    const key = 'ab'.repeat(32);
    const config = artifactStorageConfig({ PIPEWRIGHT_ARTIFACT_ROOT: '/srv/blobs', PIPEWRIGHT_ARTIFACT_MAX_BYTES: '1048576', PIPEWRIGHT_ARTIFACT_KEY: key });
    expect(config).toEqual({ root: '/srv/blobs', maxBytes: 1048576, encryptionKey: Buffer.from(key, 'hex') });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it.each([
    ['a key of the wrong length', { PIPEWRIGHT_ARTIFACT_KEY: 'ab'.repeat(16) }, /PIPEWRIGHT_ARTIFACT_KEY/],
    ['a key that is not hex', { PIPEWRIGHT_ARTIFACT_KEY: 'zz'.repeat(32) }, /PIPEWRIGHT_ARTIFACT_KEY/],
    ['a size that is not an integer', { PIPEWRIGHT_ARTIFACT_MAX_BYTES: '5GB' }, /PIPEWRIGHT_ARTIFACT_MAX_BYTES/],
    ['a negative size', { PIPEWRIGHT_ARTIFACT_MAX_BYTES: '-1' }, /PIPEWRIGHT_ARTIFACT_MAX_BYTES/],
  ])('refuses %s at start', (_label, env, message) => {
    expect(() => artifactStorageConfig(env)).toThrow(message);
  });
});
