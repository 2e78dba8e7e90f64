import { Metadata, status } from '@grpc/grpc-js';
import { GrpcClient, problemsFromMetadata, serviceAddress, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { scrape, testEnv, valueOf } from '@pipewright/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS } from '@pipewright/telemetry';
import { downloadArtifact, freePort, rejected, uploadArtifact, uploadMessages } from './artifact-calls';

const MiB = 1024 * 1024;
const MAX_BYTES = 4 * MiB;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface RunningArtifactService {
  proc: ServiceProcess;
  client: GrpcClient;
  root: string;
}

/** A real artifact process on free ports with its own blob root; blobs go to a temp directory. */
async function startArtifactService(extraEnv: Record<string, string>): Promise<RunningArtifactService> {
  const env = testEnv();
  const root = mkdtempSync(join(tmpdir(), 'pipewright-artifacts-'));
  const ports = { PIPEWRIGHT_ARTIFACT_PORT: String(await freePort()), PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(await freePort()) };
  const proc = startServiceProcess('artifact', { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(','), PIPEWRIGHT_ARTIFACT_ROOT: root, ...ports, ...extraEnv });
  const address = serviceAddress('artifact', ports);
  await waitUntilServing(address, proc);
  return { proc, root, client: new GrpcClient('ArtifactService', address) };
}

async function stopArtifactService(service: RunningArtifactService | undefined): Promise<void> {
  if (!service) return;
  service.client.close();
  const exit = await service.proc.stop();
  rmSync(service.root, { recursive: true, force: true });
  expect(exit).toEqual({ code: 0, signal: null });
  // Refusals (NOT_FOUND, DATA_LOSS, cancelled calls…) are answers, not failures of the service.
  expect(service.proc.lines.filter((line) => /"level":"(error|fatal)"/.test(line))).toEqual([]);
}

/** Every blob file under the root (sha256/ab/cd/<digest>), and what is left in its temp folder. */
async function blobFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(join(root, 'sha256'), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
/** Polls a condition the service reaches asynchronously (cleanup after a cancelled call). */
async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const tempFiles = (root: string) => readdirSync(join(root, 'tmp'));
const blobPath = (root: string, digest: string) => join(root, 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest);

function metadataFor(pipelineExecutionId: string, name = 'BuildOutput', extra: Record<string, unknown> = {}) {
  return { pipelineExecutionId, pipelineName: 'release', actionName: 'Build', name, ...extra };
}

async function listAll(client: GrpcClient, pipelineExecutionId: string, maxResults?: number): Promise<any[][]> {
  const pages: any[][] = [];
  let nextToken = '';
  do {
    const page = await client.call('ListArtifacts', { pipelineExecutionId, nextToken, maxResults });
    pages.push(page.artifacts);
    nextToken = page.nextToken;
  } while (nextToken);
  return pages;
}

describe('ArtifactService over gRPC (a real artifact process, PostgreSQL and the filesystem)', () => {
  let plain: RunningArtifactService;

  beforeAll(async () => {
    plain = await startArtifactService({ PIPEWRIGHT_ARTIFACT_MAX_BYTES: String(MAX_BYTES) });
  }, 90_000);

  afterAll(() => stopArtifactService(plain));

  it('round-trips a few MB: the digest and size are recorded, the bytes come back equal in chunks of at most 1 MiB', async () => {
    const execution = randomUUID();
    const content = randomBytes(3 * MiB + 12345);
    const { artifact } = await uploadArtifact(plain.client, metadataFor(execution, 'BuildOutput', { expectedSha256: sha256(content) }), content);
    expect(artifact).toMatchObject({ pipelineExecutionId: execution, pipelineName: 'release', actionName: 'Build', name: 'BuildOutput', sha256: sha256(content), sizeBytes: String(content.length), contentType: 'application/x-tar' });
    expect(artifact.artifactId).toMatch(/^[0-9a-f-]{36}$/);

    const downloaded = await downloadArtifact(plain.client, artifact.artifactId);
    expect(downloaded.artifact).toEqual(artifact);
    expect(sha256(downloaded.content)).toBe(sha256(content));
    expect(downloaded.content.equals(content)).toBe(true);
    expect(Math.max(...downloaded.chunkSizes)).toBeLessThanOrEqual(MiB);

    expect((await plain.client.call('StatArtifact', { artifactId: artifact.artifactId })).artifact).toEqual(artifact);
    expect((await fs.readFile(blobPath(plain.root, artifact.sha256))).equals(content)).toBe(true);
  });

  it('stores 20 concurrent uploads of the same content as one blob on disk and 20 artifacts, listed by execution in pages', async () => {
    const execution = randomUUID();
    const content = randomBytes(512 * 1024);
    const before = await blobFiles(plain.root);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => uploadArtifact(plain.client, metadataFor(execution, `Out${i}`), content, 64 * 1024)));
    const ids = results.map((r) => r.artifact.artifactId);
    expect(new Set(ids).size).toBe(20);
    for (const r of results) expect(r.artifact).toMatchObject({ sha256: sha256(content), sizeBytes: String(content.length) });

    const after = await blobFiles(plain.root);
    expect(after.filter((f) => !before.includes(f))).toEqual([blobPath(plain.root, sha256(content))]);
    expect(tempFiles(plain.root)).toEqual([]);

    const pages = await listAll(plain.client, execution, 7);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 6]);
    expect(pages.flat().map((a) => a.artifactId).sort()).toEqual([...ids].sort());
  });

  it('lists only the artifacts of the execution asked for, oldest first', async () => {
    const [mine, other] = [randomUUID(), randomUUID()];
    const first = await uploadArtifact(plain.client, metadataFor(mine, 'Src'), Buffer.from('source'));
    await uploadArtifact(plain.client, metadataFor(other, 'Src'), Buffer.from('elsewhere'));
    const second = await uploadArtifact(plain.client, metadataFor(mine, 'Bin'), Buffer.from('binary'));
    const { artifacts, nextToken } = await plain.client.call('ListArtifacts', { pipelineExecutionId: mine });
    expect(artifacts.map((a: any) => a.artifactId)).toEqual([first.artifact.artifactId, second.artifact.artifactId]);
    expect(nextToken).toBe('');
    expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: randomUUID() })).artifacts).toEqual([]);
  });

  it('fails an upload whose bytes do not hash to expected_sha256 with DATA_LOSS, and keeps nothing', async () => {
    const execution = randomUUID();
    const content = randomBytes(300 * 1024);
    const before = await blobFiles(plain.root);
    const error = await rejected(uploadArtifact(plain.client, metadataFor(execution, 'Out', { expectedSha256: sha256(Buffer.from('something else')) }), content));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(sha256(content));
    expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts).toEqual([]);
    expect(await blobFiles(plain.root)).toEqual(before);
    expect(tempFiles(plain.root)).toEqual([]);
  });

  it('accepts an artifact of exactly PIPEWRIGHT_ARTIFACT_MAX_BYTES and refuses one byte more with RESOURCE_EXHAUSTED', async () => {
    const execution = randomUUID();
    const atLimit = await uploadArtifact(plain.client, metadataFor(execution, 'AtLimit'), randomBytes(MAX_BYTES));
    expect(atLimit.artifact.sizeBytes).toBe(String(MAX_BYTES));
    const error = await rejected(uploadArtifact(plain.client, metadataFor(execution, 'TooBig'), randomBytes(MAX_BYTES + 1)));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toContain(String(MAX_BYTES));
    expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts.map((a: any) => a.name)).toEqual(['AtLimit']);
    expect(tempFiles(plain.root)).toEqual([]);
  });

  it('answers DATA_LOSS when the blob on disk was corrupted, and when it is gone', async () => {
    const content = randomBytes(MiB + 7);
    const { artifact } = await uploadArtifact(plain.client, metadataFor(randomUUID()), content);
    const file = blobPath(plain.root, artifact.sha256);
    const damaged = await fs.readFile(file);
    damaged[123_456] ^= 0xff;
    await fs.writeFile(file, damaged);
    const error = await rejected(downloadArtifact(plain.client, artifact.artifactId));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(artifact.sha256);

    await fs.rm(file);
    expect((await rejected(downloadArtifact(plain.client, artifact.artifactId))).code).toBe(status.DATA_LOSS);
  });

  it('answers NOT_FOUND for an unknown artifact id on stat, download and delete', async () => {
    for (const artifactId of [randomUUID(), 'not-a-uuid']) {
      expect((await rejected(plain.client.call('StatArtifact', { artifactId }))).code).toBe(status.NOT_FOUND);
      expect((await rejected(downloadArtifact(plain.client, artifactId))).code).toBe(status.NOT_FOUND);
      expect((await rejected(plain.client.call('DeleteArtifact', { artifactId }))).code).toBe(status.NOT_FOUND);
    }
  });

  it('deletes an artifact: then it is NOT_FOUND and no longer listed; another artifact with the same bytes still downloads', async () => {
    const execution = randomUUID();
    const content = randomBytes(1000);
    const kept = await uploadArtifact(plain.client, metadataFor(execution, 'Kept'), content);
    const gone = await uploadArtifact(plain.client, metadataFor(execution, 'Gone'), content);
    await plain.client.call('DeleteArtifact', { artifactId: gone.artifact.artifactId });
    expect((await rejected(plain.client.call('StatArtifact', { artifactId: gone.artifact.artifactId }))).code).toBe(status.NOT_FOUND);
    expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts.map((a: any) => a.name)).toEqual(['Kept']);
    expect((await downloadArtifact(plain.client, kept.artifact.artifactId)).content.equals(content)).toBe(true);
  });

  it('cleans up after a client that cancels mid-upload or mid-download, and keeps serving', async () => {
    const execution = randomUUID();
    const upload = (plain.client.stub as any).UploadArtifact(new Metadata(), {}, () => undefined);
    upload.on('error', () => undefined);
    upload.write({ metadata: metadataFor(execution) });
    upload.write({ chunk: randomBytes(512 * 1024) });
    await until(() => tempFiles(plain.root).length > 0);
    upload.cancel();
    await until(() => tempFiles(plain.root).length === 0);
    expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts).toEqual([]);

    const content = randomBytes(MAX_BYTES);
    const { artifact } = await uploadArtifact(plain.client, metadataFor(execution, 'Big', { expectedSha256: sha256(content) }), content);
    const download = (plain.client.stub as any).DownloadArtifact({ artifactId: artifact.artifactId }, new Metadata(), {});
    const cancelled = new Promise((resolve) => download.on('error', resolve));
    let messages = 0;
    download.on('data', () => ++messages === 2 && download.cancel());
    expect(await cancelled).toMatchObject({ code: status.CANCELLED });
    expect((await downloadArtifact(plain.client, artifact.artifactId)).content.equals(content)).toBe(true);
  });

  describe('bad input: INVALID_ARGUMENT naming the problem, nothing stored', () => {
    it('a chunk over 1 MiB', async () => {
      const execution = randomUUID();
      const error = await rejected(uploadMessages(plain.client, [{ metadata: metadataFor(execution) }, { chunk: randomBytes(MiB + 1) }]));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(error.metadata)).toEqual([{ path: 'chunk', message: expect.stringContaining(String(MiB)) }]);
      expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts).toEqual([]);
      expect(tempFiles(plain.root)).toEqual([]);
    });

    it('a chunk before the metadata, metadata twice, no metadata at all', async () => {
      const execution = randomUUID();
      for (const messages of [[{ chunk: Buffer.from('x') }, { metadata: metadataFor(execution) }], [{ metadata: metadataFor(execution) }, { metadata: metadataFor(execution) }], []]) {
        const error = await rejected(uploadMessages(plain.client, messages));
        expect(error.code).toBe(status.INVALID_ARGUMENT);
        expect(problemsFromMetadata(error.metadata)[0].path).toBe('metadata');
      }
      expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts).toEqual([]);
    });

    it('metadata without a name, or with an expected_sha256 that is not a digest', async () => {
      const execution = randomUUID();
      const noName = await rejected(uploadArtifact(plain.client, metadataFor(execution, ''), Buffer.from('x')));
      expect(noName.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(noName.metadata)).toEqual([{ path: 'metadata.name', message: 'metadata.name is required' }]);
      const badDigest = await rejected(uploadArtifact(plain.client, metadataFor(execution, 'Out', { expectedSha256: 'abc' }), Buffer.from('x')));
      expect(problemsFromMetadata(badDigest.metadata)[0].path).toBe('metadata.expected_sha256');
      expect((await plain.client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts).toEqual([]);
    });

    it('ListArtifacts without an execution id, with a forged next_token, with max_results out of range', async () => {
      for (const request of [{}, { pipelineExecutionId: randomUUID(), nextToken: 'forged' }, { pipelineExecutionId: randomUUID(), maxResults: 5000 }]) {
        expect((await rejected(plain.client.call('ListArtifacts', request))).code).toBe(status.INVALID_ARGUMENT);
      }
    });
  });
});

describe('ArtifactService with PIPEWRIGHT_ARTIFACT_KEY: encrypted at rest', () => {
  let encrypted: RunningArtifactService;

  beforeAll(async () => {
    encrypted = await startArtifactService({ PIPEWRIGHT_ARTIFACT_KEY: randomBytes(32).toString('hex') });
  }, 90_000);

  afterAll(() => stopArtifactService(encrypted));

  it('keeps no plaintext on disk, round-trips the bytes, and answers DATA_LOSS for a tampered blob', async () => {
    const content = Buffer.concat([Buffer.from('PLAINTEXT-MARKER '.repeat(1000)), randomBytes(2 * MiB)]);
    const { artifact } = await uploadArtifact(encrypted.client, metadataFor(randomUUID()), content);
    expect(artifact.sha256).toBe(sha256(content));
    const file = blobPath(encrypted.root, artifact.sha256);
    const stored = await fs.readFile(file);
    expect(stored.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);

    expect((await downloadArtifact(encrypted.client, artifact.artifactId)).content.equals(content)).toBe(true);

    stored[stored.length - 100] ^= 0x01;
    await fs.writeFile(file, stored);
    const error = await rejected(downloadArtifact(encrypted.client, artifact.artifactId));
    expect(error.code).toBe(status.DATA_LOSS);
  });
});

describe('ArtifactService after a key rotation (PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS)', () => {
  let root: string;
  let service: RunningArtifactService | undefined;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'pipewright-rotation-'))));
  afterEach(async () => {
    await stopArtifactService(service);
    rmSync(root, { recursive: true, force: true });
  });
  const start = async (env: Record<string, string>) => (service = await startArtifactService({ PIPEWRIGHT_ARTIFACT_ROOT: root, ...env }));
  const restart = async (env: Record<string, string>) => {
    await stopArtifactService(service);
    return start(env);
  };

  it('reseals every blob in the background and says so; then the previous key can go', async () => {
    const [oldKey, newKey] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const content = randomBytes(3 * MiB + 5);
    const { artifact } = await uploadArtifact((await start({ PIPEWRIGHT_ARTIFACT_KEY: oldKey })).client, metadataFor(randomUUID()), content, MiB);
    const sealedWithOldKey = await fs.readFile(blobPath(root, artifact.sha256));

    const metricsPort = await freePort();
    const rotated = await restart({ PIPEWRIGHT_ARTIFACT_KEY: newKey, PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS: oldKey, PIPEWRIGHT_ARTIFACT_METRICS_PORT: String(metricsPort) });
    await until(() => rotated.proc.lines.some((line) => line.includes('PIPEWRIGHT_ARTIFACT_PREVIOUS_KEYS can be removed')));
    expect(rotated.proc.lines.find((line) => line.includes('reseal pass'))).toContain('1 blob(s) resealed, 0 already current');
    const samples = await scrape(metricsPort);
    expect(valueOf(samples, `${METRICS.artifactReseals.name}_total`, { outcome: 'resealed' })).toBe(1);
    expect(valueOf(samples, `${METRICS.artifactReseals.name}_total`, { outcome: 'failed' })).toBe(0);
    expect((await fs.readFile(blobPath(root, artifact.sha256))).equals(sealedWithOldKey)).toBe(false);

    const newKeyOnly = await restart({ PIPEWRIGHT_ARTIFACT_KEY: newKey });
    expect((await downloadArtifact(newKeyOnly.client, artifact.artifactId)).content.equals(content)).toBe(true);
  }, 120_000);
});
