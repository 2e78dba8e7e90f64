import { Metadata } from '@grpc/grpc-js';
import { GrpcClient, serviceAddress, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './artifact-calls';

(async () => {
  const root = mkdtempSync(join(tmpdir(), 'pwa-'));
  const ports = { PIPEWRIGHT_ARTIFACT_PORT: String(await freePort()), PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(await freePort()) };
  const proc = startServiceProcess('artifact', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pipewright_test', PIPEWRIGHT_ARTIFACT_ROOT: root, ...ports });
  await waitUntilServing(serviceAddress('artifact', ports), proc);
  const client = new GrpcClient('ArtifactService', serviceAddress('artifact', ports));
  let stored = 0;
  for (let i = 0; i < 40; i++) {
    const execution = randomUUID();
    const upload = (client.stub as any).UploadArtifact(new Metadata(), {}, () => undefined);
    upload.on('error', () => undefined);
    upload.write({ metadata: { pipelineExecutionId: execution, pipelineName: 'p', actionName: 'a', name: 'n' } });
    upload.write({ chunk: randomBytes(512 * 1024) });
    while (readdirSync(join(root, 'tmp')).length === 0) await new Promise((r) => setTimeout(r, 20));
    const before = proc.lines.length;
    upload.cancel();
    while (readdirSync(join(root, 'tmp')).length > 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    const n = (await client.call('ListArtifacts', { pipelineExecutionId: execution })).artifacts.length;
    stored += n;
    if (n) console.log(i, n);
  }
  console.log('stored', stored);
  client.close();
  await proc.stop();
})();
