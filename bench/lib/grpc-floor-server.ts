/**
 * A bare ArtifactService on grpc-js, the same proto, loader options and HTTP/2 windows as the
 * service, with no storage behind it: uploads are counted and dropped, downloads send
 * FLOOR_DOWNLOAD_BYTES of one buffer in 1 MiB chunks. What the gRPC transport alone does between
 * two processes.
 * Run by grpc-floor.ts: node -r @pipewright/ts-register bench/lib/grpc-floor-server.ts <port>
 */
import { loadPackageDefinition, Server, ServerCredentials, type ServerReadableStream, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { once } from 'node:events';
import { widenUploadWindows } from '../../services/artifact/src/artifacts/upload-stream';

const MiB = 1024 * 1024;
const { package: pkg, service, protoPath } = protoFiles.ArtifactService;
let node: any = loadPackageDefinition(loadSync([...protoPath], protoLoaderOptions));
for (const part of `${pkg}.${service}`.split('.')) node = node[part];

const downloadBytes = Number(process.env.FLOOR_DOWNLOAD_BYTES);
const chunk = Buffer.alloc(MiB, 7);
const artifact = { artifactId: 'floor', name: 'floor', sha256: '0'.repeat(64), sizeBytes: String(downloadBytes) };

const server = new Server({ 'grpc.max_receive_message_length': 16 * MiB });
server.addService(node.service, {
  UploadArtifact(call: ServerReadableStream<{ chunk?: Buffer }, unknown>, callback: sendUnaryData<unknown>) {
    // The service's HTTP/2 windows: without them this floor would be the default 64 KiB window's, not the transport's.
    widenUploadWindows(call);
    let bytes = 0;
    call.on('data', (m) => (bytes += m.chunk?.length ?? 0));
    call.on('end', () => callback(null, { artifact: { ...artifact, sizeBytes: String(bytes) } }));
  },
  async DownloadArtifact(call: ServerWritableStream<unknown, unknown>) {
    call.write({ artifact });
    for (let sent = 0; sent < downloadBytes; sent += MiB) {
      if (!call.write({ chunk: chunk.subarray(0, Math.min(MiB, downloadBytes - sent)) })) await once(call, 'drain');
    }
    call.end();
  },
  DeleteArtifact(_call: unknown, callback: sendUnaryData<unknown>) {
    callback(null, {});
  },
});
server.bindAsync(`127.0.0.1:${process.argv[2]}`, ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
