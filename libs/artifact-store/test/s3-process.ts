// What every real S3-compatible test server shares, whichever implements it (s3rver, S3Mock): its own
// process on a free port with its objects in a temp directory, one bucket, path-style URLs; ready once
// the bucket answers, stopped with its whole process group.
import { eventually, freePort } from '@pipewright/testing';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3BlobStoreOptions } from '../src';

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** Connection options for a store in this server's bucket. */
  readonly connection: Pick<S3BlobStoreOptions, 'bucket' | 'endpoint' | 'region' | 'forcePathStyle' | 'credentials'>;
  /** The same as environment variables for the artifact service (docs/operations.md). */
  readonly serviceEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface S3ProcessSpec {
  /** Named in errors. */
  readonly name: string;
  readonly command: string;
  /** The server's arguments to listen on 127.0.0.1:port, keep its objects in directory and create bucket. */
  args(port: number, directory: string, bucket: string): string[];
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** How long it may take to answer, on a loaded machine. */
  readonly startMillis: number;
}

const OUTPUT_TAIL = 4000;

export async function startS3Process(spec: S3ProcessSpec): Promise<S3TestServer> {
  const { name, bucket, credentials } = spec;
  const directory = mkdtempSync(join(tmpdir(), `pw-${name.toLowerCase()}-`));
  const port = await freePort();
  // Its own process group, so stop() also ends whatever the server spawned.
  const child = spawn(spec.command, spec.args(port, directory, bucket), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer) => (output = (output + data.toString()).slice(-OUTPUT_TAIL));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(directory, { recursive: true, force: true });
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      eventually(`${name} answering for bucket ${bucket} on ${endpoint}`, async () => (await fetch(`${endpoint}/${bucket}`, { method: 'HEAD' }).catch(() => undefined))?.ok, spec.startMillis, 250),
      exited.then((reason) => Promise.reject(new Error(`${name} ${reason}`))),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; its last output:\n${output}`);
  }
  return {
    endpoint,
    bucket,
    connection: { bucket, endpoint, region: 'us-east-1', forcePathStyle: true, credentials },
    serviceEnv: {
      PIPEWRIGHT_ARTIFACT_STORE: 's3',
      PIPEWRIGHT_ARTIFACT_S3_ENDPOINT: endpoint,
      PIPEWRIGHT_ARTIFACT_S3_BUCKET: bucket,
      PIPEWRIGHT_ARTIFACT_S3_REGION: 'us-east-1',
      PIPEWRIGHT_ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop,
  };
}
