import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { status } from '@grpc/grpc-js';
import { GrpcClient, serviceAddress, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv } from '@pipewright/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startS3Server, type S3TestServer } from '@pipewright/artifact-store/test/s3-server';
import { downloadArtifact, freePort, rejected, uploadArtifact } from './artifact-calls';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const metadataFor = (pipelineExecutionId: string, extra: Record<string, unknown> = {}) => ({ pipelineExecutionId, pipelineName: 'release', actionName: 'Build', name: 'BuildOutput', ...extra });

async function startArtifactService(env: Record<string, string>): Promise<{ proc: ServiceProcess; address: string }> {
  const ports = { PIPEWRIGHT_ARTIFACT_PORT: String(await freePort()), PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(await freePort()) };
  const infra = testEnv();
  const proc = startServiceProcess('artifact', { DATABASE_URL: infra.databaseUrl, KAFKA_BROKERS: infra.kafkaBrokers.join(','), ...ports, ...env });
  return { proc, address: serviceAddress('artifact', ports) };
}

describe('ArtifactService with the S3 backend (a real artifact process and a real S3-compatible server)', () => {
  let s3: S3TestServer;
  let service: { proc: ServiceProcess; address: string };
  let client: GrpcClient;
  let bucket: S3Client;
  const prefix = `e2e-${randomUUID()}/`;

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = new S3Client({ ...s3.connection });
    service = await startArtifactService({
      ...s3.serviceEnv,
      PIPEWRIGHT_ARTIFACT_S3_PREFIX: prefix,
      PIPEWRIGHT_ARTIFACT_S3_PART_BYTES: String(5 * MiB),
      PIPEWRIGHT_ARTIFACT_KEY: randomBytes(32).toString('hex'),
    });
    await waitUntilServing(service.address, service.proc);
    client = new GrpcClient('ArtifactService', service.address);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    const exit = await service?.proc.stop();
    bucket?.destroy();
    await s3?.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(service.proc.lines.filter((line) => /"level":"(error|fatal)"/.test(line))).toEqual([]);
  });

  const keysInBucket = async () => ((await bucket.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  it('uploads an artifact larger than a part over gRPC into the bucket, encrypted, and downloads it verified', async () => {
    const content = randomBytes(12 * MiB + 321);
    const { artifact } = await uploadArtifact(client, metadataFor(randomUUID(), { expectedSha256: sha256(content) }), content, MiB);
    expect(artifact).toMatchObject({ sha256: sha256(content), sizeBytes: String(content.length) });

    const digest = sha256(content);
    expect(await keysInBucket()).toEqual([`${prefix}sha256/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest}`]);
    const downloaded = await downloadArtifact(client, artifact.artifactId);
    expect(downloaded.content.equals(content)).toBe(true);
    expect((await client.call('StatArtifact', { artifactId: artifact.artifactId })).artifact.sha256).toBe(digest);
  }, 60_000);

  it('fails an upload whose bytes do not hash to expected_sha256 with DATA_LOSS, leaving nothing in the bucket', async () => {
    const before = await keysInBucket();
    const error = await rejected(uploadArtifact(client, metadataFor(randomUUID(), { expectedSha256: sha256(Buffer.from('claimed')) }), randomBytes(11 * MiB), MiB));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(await keysInBucket()).toEqual(before);
  }, 60_000);

  it('refuses to start when the bucket does not exist, naming it', async () => {
    const broken = await startArtifactService({ ...s3.serviceEnv, PIPEWRIGHT_ARTIFACT_S3_BUCKET: 'no-such-bucket' });
    const exit = await broken.proc.exited;
    expect(exit.code).not.toBe(0);
    expect(broken.proc.lines.join("\n")).toMatch(/S3 bucket .*no-such-bucket.* is not usable/);
  }, 60_000);
});
