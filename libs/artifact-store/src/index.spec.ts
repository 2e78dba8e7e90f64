import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const WORKSPACE = path.join(__dirname, '..', '..', '..');

/** Whether a fresh process has the AWS SDK loaded once `script` (an expression, maybe a promise) settles; jest's registry would hide it. */
function sdkLoadedAfter(script: string): boolean {
  const probe = `Promise.resolve(${script}).catch(() => undefined).then(() => process.stdout.write(String(Object.keys(require.cache).some((f) => f.includes('/node_modules/@aws-sdk/client-s3/')))))`;
  return execFileSync(process.execPath, ['-r', '@pipewright/ts-register', '-e', probe], { cwd: WORKSPACE, encoding: 'utf8' }) === 'true';
}

describe('the artifact-store library', () => {
  it('leaves the AWS SDK unloaded for the filesystem backend', () => {
    expect(sdkLoadedAfter(`require('@pipewright/artifact-store').FileBlobStore`)).toBe(false);
  });

  it('loads it when an S3 store is opened', () => {
    // open() loads the SDK before it reaches for the bucket; the closed port then fails the open.
    const open = `require('@pipewright/artifact-store').S3BlobStore.open({ bucket: 'b', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } })`;
    expect(sdkLoadedAfter(open)).toBe(true);
  });
});
