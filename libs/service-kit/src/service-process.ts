import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadPackageDefinition, GrpcObject, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { healthProtoPath } from './bootstrap';
import { ClientChannel, clientChannel } from './tls';

/** The repository root, where services/<name>/src/main.ts live. */
export const workspaceRoot = resolve(__dirname, '../../..');

/** A Pipewright service running as its own OS process, as in production. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * glibc malloc settings every Pipewright process runs with; deploy/Dockerfile sets the same, and
 * docs/operations.md ("Memory allocator") says why. Streams move 1 MiB buffers (gRPC messages, AES
 * frames). By default glibc serves each one from a fresh mmap, or trims the heap back to the OS
 * as soon as GC frees a few, so every MiB costs 256 page faults on zeroed pages. Served from the
 * heap and kept there (up to 64 MiB free), they are reused instead.
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024), MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024) };

/** `env` over the caller's environment, over MALLOC_TUNING: an operator's own malloc settings win. */
export function serviceProcessEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...MALLOC_TUNING, ...process.env, ...env };
}

export function startServiceProcess(name: string, env: NodeJS.ProcessEnv = {}): ServiceProcess {
  const child = spawn(process.execPath, ['-r', '@pipewright/ts-register', join(workspaceRoot, 'services', name, 'src/main.ts')], {
    cwd: workspaceRoot,
    env: serviceProcessEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // A pipe hands over chunks, not lines: each stream keeps its unfinished last line for the next chunk.
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    stream.on('end', () => partial && lines.push(partial));
  };
  collect(child.stdout!);
  collect(child.stderr!);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    lines,
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

type HealthClient = InstanceType<ServiceClientConstructor> & {
  Check(req: { service: string }, opts: { deadline: number }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

/** `channel`: plaintext, or mutual TLS when this process has PIPEWRIGHT_TLS_* set; pass one to check a differently configured service. */
export function healthClient(address: string, channel: ClientChannel = clientChannel()): HealthClient {
  const def = loadSync(healthProtoPath, { keepCase: false, enums: String, defaults: true });
  const grpc = loadPackageDefinition(def) as unknown as { grpc: { health: { v1: GrpcObject & { Health: ServiceClientConstructor } } } };
  return new grpc.grpc.health.v1.Health(address, channel.credentials, channel.options) as HealthClient;
}

export function checkHealth(address: string, service = '', timeoutMs = 2000, channel?: ClientChannel): Promise<string> {
  const client = healthClient(address, channel);
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!.status);
    });
  });
}

/** Polls until the service's gRPC health answers SERVING, or fails with what the process printed. */
export async function waitUntilServing(address: string, proc?: ServiceProcess, timeoutMs = 60000, channel: ClientChannel = clientChannel()): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`${proc.name} exited before serving:\n${proc.lines.slice(-30).join('\n')}`);
    }
    try {
      if ((await checkHealth(address, '', 1000, channel)) === 'SERVING') return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${address} not SERVING within ${timeoutMs} ms (${String(last)})${proc ? `:\n${proc.lines.slice(-30).join('\n')}` : ''}`);
}
