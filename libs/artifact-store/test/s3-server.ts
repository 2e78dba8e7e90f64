// A real S3-compatible server for tests: s3rver (the S3 REST API over HTTP, objects on the
// filesystem) in its own process on a free port, with one bucket. No mocks: the store under test
// speaks HTTP to it through the AWS SDK exactly as it would to S3 or MinIO.
import { eventually, freePort } from '@pipewright/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3BlobStoreOptions } from '../src';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** Connection options for a store in this server's bucket. */
  readonly connection: Pick<S3BlobStoreOptions, 'bucket' | 'endpoint' | 'region' | 'forcePathStyle' | 'credentials'>;
  /** The same as environment variables for the artifact service (docs/operations.md). */
  readonly serviceEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3Server(bucket = 'pipewright-artifacts'): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'pw-s3rver-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [require.resolve('s3rver/bin/s3rver.js'), '-d', directory, '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets', '--configure-bucket', bucket],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  await eventually(`s3rver listening on ${endpoint}`, async () => {
    if (child.exitCode !== null) throw new Error(`s3rver exited with ${child.exitCode}: ${stderr}`);
    return (await fetch(`${endpoint}/${bucket}`, { method: 'HEAD' }).catch(() => undefined))?.ok;
  }, 30_000);
  return {
    endpoint,
    bucket,
    connection: { bucket, endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS },
    serviceEnv: {
      PIPEWRIGHT_ARTIFACT_STORE: 's3',
      PIPEWRIGHT_ARTIFACT_S3_ENDPOINT: endpoint,
      PIPEWRIGHT_ARTIFACT_S3_BUCKET: bucket,
      PIPEWRIGHT_ARTIFACT_S3_REGION: 'us-east-1',
      PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
