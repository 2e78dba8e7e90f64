import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Metadata } from '@grpc/grpc-js';
import { extractArchive } from '@pipewright/artifact-store';
import { GrpcClient, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv } from '@pipewright/testing';
import { freePort } from '@pipewright/testing';
export { freePort };

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory tempDir made (repositories, blob roots, logs, workspaces, downloads). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Started {
  proc: ServiceProcess;
  address: string;
}

function infrastructureEnv(): NodeJS.ProcessEnv {
  const env = testEnv();
  return { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') };
}

/** The artifact service on its own ports and blob root. */
export async function startArtifactService(): Promise<Started> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const proc = startServiceProcess('artifact', {
    ...infrastructureEnv(),
    PIPEWRIGHT_ARTIFACT_PORT: String(port),
    PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(httpPort),
    PIPEWRIGHT_ARTIFACT_ROOT: tempDir('pw-artifacts-'),
  });
  const address = `127.0.0.1:${port}`;
  await waitUntilServing(address, proc, 120_000);
  return { proc, address };
}

/** A job-worker of its own group and schema that takes only the given pipelines' jobs. */
export async function startJobWorker(artifactAddress: string, pipelines: string, extra: NodeJS.ProcessEnv = {}): Promise<Started & { logRoot: string; workspaceRoot: string }> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const suffix = `${Date.now().toString(36)}_${port}`;
  const logRoot = tempDir('pw-job-logs-');
  const workspaceRoot = tempDir('pw-workspaces-');
  const proc = startServiceProcess('job-worker', {
    ...infrastructureEnv(),
    PIPEWRIGHT_JOB_WORKER_PORT: String(port),
    PIPEWRIGHT_JOB_WORKER_HTTP_PORT: String(httpPort),
    PIPEWRIGHT_ARTIFACT_ADDRESS: artifactAddress,
    PIPEWRIGHT_JOB_WORKER_GROUP: `job_worker_test_${suffix}`,
    PIPEWRIGHT_JOB_WORKER_SCHEMA: `job_worker_test_${suffix}`,
    PIPEWRIGHT_JOB_WORKER_PIPELINES: pipelines,
    PIPEWRIGHT_JOB_LOG_ROOT: logRoot,
    PIPEWRIGHT_WORKSPACE_ROOT: workspaceRoot,
    PIPEWRIGHT_JOB_HEARTBEAT_MS: '300',
    ...extra,
  });
  const address = `127.0.0.1:${port}`;
  await waitUntilServing(address, proc, 120_000);
  return { proc, address, logRoot, workspaceRoot };
}

/** DownloadArtifact's bytes, extracted into a fresh directory. */
export async function downloadInto(client: GrpcClient, artifactId: string): Promise<{ dir: string; artifact: any }> {
  const call = (client.stub as any).DownloadArtifact({ artifactId }, new Metadata(), { deadline: Date.now() + 60_000 });
  let artifact: any;
  const dir = tempDir('pw-downloaded-');
  async function* chunks() {
    for await (const message of call as AsyncIterable<{ artifact?: any; chunk?: Buffer }>) {
      if (message.artifact) artifact = message.artifact;
      if (message.chunk?.length) yield message.chunk;
    }
  }
  await extractArchive(Readable.from(chunks()), dir);
  return { dir, artifact };
}

export interface LogMessage {
  text: string;
  offset: string;
  endOfLog: boolean;
}

/** GetJobLogs as a stream of messages; `onMessage` sees each as it arrives. */
export function jobLogs(client: GrpcClient, request: { jobId: string; tailLines?: number; follow?: boolean }, onMessage: (m: LogMessage) => void = () => undefined): Promise<LogMessage[]> {
  return new Promise((resolve, reject) => {
    const call = (client.stub as any).GetJobLogs(request, new Metadata(), { deadline: Date.now() + 120_000 });
    const messages: LogMessage[] = [];
    call.on('data', (m: LogMessage) => {
      messages.push(m);
      onMessage(m);
    });
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}
