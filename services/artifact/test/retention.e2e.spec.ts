import { GrpcClient, serviceAddress, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { downloadArtifact, freePort, uploadArtifact } from './artifact-calls';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const blobPath = (root: string, digest: string) => join(root, 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest);

/** Polls what the periodic pass reaches asynchronously. */
async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A database of its own: a retention pass deletes across the whole artifacts table, which other suites share. */
function databaseUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

describe('artifact retention (a real artifact process with a short pass interval)', () => {
  const env = testEnv();
  const database = uniqueName('retention');
  const root = mkdtempSync(join(tmpdir(), 'pipewright-retention-'));
  let admin: Client;
  let proc: ServiceProcess;
  let client: GrpcClient;

  beforeAll(async () => {
    admin = new Client({ connectionString: env.databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    const ports = { PIPEWRIGHT_ARTIFACT_PORT: String(await freePort()), PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(await freePort()) };
    proc = startServiceProcess('artifact', {
      DATABASE_URL: databaseUrlFor(env.databaseUrl, database),
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      PIPEWRIGHT_ARTIFACT_ROOT: root,
      PIPEWRIGHT_ARTIFACT_RETENTION_DAYS: '1',
      PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS: '2',
      PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS: '200',
      PIPEWRIGHT_ARTIFACT_GC_GRACE_MS: '1000',
      ...ports,
    });
    const address = serviceAddress('artifact', ports);
    await waitUntilServing(address, proc);
    client = new GrpcClient('ArtifactService', address);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    const exit = await proc?.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    rmSync(root, { recursive: true, force: true });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(proc.lines.filter((line) => /"level":"(error|fatal)"|retention pass failed/.test(line))).toEqual([]);
  });

  const upload = (pipelineName: string, pipelineExecutionId: string, name: string, content: Buffer) =>
    uploadArtifact(client, { pipelineExecutionId, pipelineName, actionName: 'Build', name }, content).then((r) => r.artifact);
  const listed = async (pipelineExecutionId: string): Promise<string[]> =>
    (await client.call('ListArtifacts', { pipelineExecutionId })).artifacts.map((a: { name: string }) => a.name).sort();

  it('deletes artifacts past the age limit and of older executions, and their blobs, but keeps blobs a kept artifact shares', async () => {
    const [oldOnly, sharedByAge, release1Only, release2Only, sharedByExecutions] = [1, 2, 3, 4, 5].map(() => randomBytes(64 * 1024 + 7));
    // Pipeline "aging": an old execution and a recent one that uploads one of the same contents.
    await upload('aging', 'aging-old', 'OldOnly', oldOnly);
    await upload('aging', 'aging-old', 'Shared', sharedByAge);
    await upload('aging', 'aging-new', 'Shared', sharedByAge);
    // Pipeline "release": three executions, the service keeps the newest two.
    await upload('release', 'release-1', 'Only', release1Only);
    await upload('release', 'release-1', 'Shared', sharedByExecutions);
    await upload('release', 'release-2', 'Only', release2Only);
    await upload('release', 'release-3', 'Shared', sharedByExecutions);

    // Age cannot be waited for in a test: the old execution's rows are made 30 days old where the service keeps them.
    const db = new Client({ connectionString: databaseUrlFor(env.databaseUrl, database) });
    await db.connect();
    try {
      await db.query(`UPDATE artifact.artifacts SET created = created - interval '30 days' WHERE pipeline_execution_id = 'aging-old'`);
    } finally {
      await db.end();
    }

    await until(async () => (await listed('aging-old')).length === 0 && (await listed('release-1')).length === 0);
    await until(() => !existsSync(blobPath(root, sha256(oldOnly))) && !existsSync(blobPath(root, sha256(release1Only))));

    expect(await listed('aging-new')).toEqual(['Shared']);
    expect(await listed('release-2')).toEqual(['Only']);
    expect(await listed('release-3')).toEqual(['Shared']);
    // Same content uploaded twice: one blob, still referenced by the kept artifact.
    expect(existsSync(blobPath(root, sha256(sharedByAge)))).toBe(true);
    expect(existsSync(blobPath(root, sha256(sharedByExecutions)))).toBe(true);
    expect(existsSync(blobPath(root, sha256(release2Only)))).toBe(true);
    // The survivors still download whole: their bytes were never touched.
    const kept = (await client.call('ListArtifacts', { pipelineExecutionId: 'release-3' })).artifacts[0];
    expect((await downloadArtifact(client, kept.artifactId)).content.equals(sharedByExecutions)).toBe(true);
  }, 90_000);
});
