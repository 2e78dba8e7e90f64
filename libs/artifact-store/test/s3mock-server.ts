// A second real S3-compatible server for tests: Adobe S3Mock (a Spring Boot jar, objects on the
// filesystem) in its own JVM on a free port. It implements what s3rver lacks and the S3 backend uses:
// UploadPartCopy, ListMultipartUploads, AbortMultipartUpload. `scripts/infra.sh fetch` puts its jar
// into .cache/s3mock from Maven Central.
import { workspaceRoot } from '@pipewright/testing';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startS3Process, type S3TestServer } from './s3-process';

/** Keep in step with scripts/infra.sh (s3mock_version). */
export const S3MOCK_JAR = join(workspaceRoot, '.cache', 's3mock', 's3mock-4.11.0-exec.jar');

export async function startS3Mock(bucket = 'pipewright-artifacts'): Promise<S3TestServer> {
  // As the global setup brings the broker up itself: a plain `npm test` needs no separate fetch (CI runs one first).
  if (!existsSync(S3MOCK_JAR)) execFileSync('bash', [join(workspaceRoot, 'scripts', 'infra.sh'), 'fetch'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(S3MOCK_JAR)) throw new Error(`S3Mock is not fetched (${S3MOCK_JAR} is missing): run bash scripts/infra.sh fetch`);
  return startS3Process({
    name: 'S3Mock',
    command: 'java',
    args: (port, directory) => [
      // A small heap and quick JIT: it is a test server on a shared 2-core machine.
      '-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
      '-jar', S3MOCK_JAR,
      `--com.adobe.testing.s3mock.http-port=${port}`,
      // HTTPS (server.port) on any free port: we speak HTTP only.
      '--server.port=0',
      '--server.address=127.0.0.1',
      `--com.adobe.testing.s3mock.store.root=${directory}`,
      `--com.adobe.testing.s3mock.store.initial-buckets=${bucket}`,
      '--spring.main.banner-mode=off',
      '--logging.level.root=WARN',
    ],
    bucket,
    // S3Mock checks no signature; any credentials sign requests the SDK sends.
    credentials: { accessKeyId: 'S3MOCK', secretAccessKey: 'S3MOCK' },
    startMillis: 180_000,
  });
}
