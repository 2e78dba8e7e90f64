import { GrpcClient } from '@pipewright/service-kit';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/** Starts grpc-floor-server.ts as its own process (as the service is) and a client for it. */
export async function startGrpcFloor(port: number, downloadBytes: number): Promise<{ client: GrpcClient; pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@pipewright/ts-register', join(__dirname, 'grpc-floor-server.ts'), String(port)], {
    env: { ...process.env, FLOOR_DOWNLOAD_BYTES: String(downloadBytes) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [Buffer.from('exited')])])) as Buffer[];
  if (!line.toString().startsWith('ready')) throw new Error('the gRPC floor server did not start');
  const client = new GrpcClient('ArtifactService', `127.0.0.1:${port}`, 600_000);
  return {
    client,
    pid: child.pid!,
    async stop() {
      client.close();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
