// A real S3-compatible server for tests: s3rver (the S3 REST API over HTTP, objects on the
// filesystem) in its own process on a free port, with one bucket. No mocks: the store under test
// speaks HTTP to it through the AWS SDK exactly as it would to S3 or MinIO.
import { startS3Process, type S3TestServer } from './s3-process';

export type { S3TestServer } from './s3-process';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function startS3Server(bucket = 'pipewright-artifacts'): Promise<S3TestServer> {
  return startS3Process({
    name: 's3rver',
    command: process.execPath,
    args: (port, directory) => [require.resolve('s3rver/bin/s3rver.js'), '-d', directory, '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets', '--configure-bucket', bucket],
    bucket,
    credentials: S3RVER_CREDENTIALS,
    startMillis: 30_000,
  });
}
