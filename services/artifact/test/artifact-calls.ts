import { Metadata, ServiceError } from '@grpc/grpc-js';
import { GrpcClient } from '@pipewright/service-kit';
import { once } from 'node:events';
import { freePort } from '@pipewright/testing';
export { freePort };

/** UploadArtifact as a client does it: metadata first, then the bytes in chunks, waiting on backpressure. */
export function uploadArtifact(client: GrpcClient, metadata: Record<string, unknown>, content: Buffer, chunkBytes = 256 * 1024): Promise<any> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const call = (client.stub as any).UploadArtifact(new Metadata(), { deadline: Date.now() + 60_000 }, (error: ServiceError | null, response: unknown) => {
      settled = true;
      if (error) reject(error);
      else resolve(response);
    });
    const answered = once(call, 'status');
    void (async () => {
      call.write({ metadata });
      for (let offset = 0; offset < content.length && !settled; offset += chunkBytes) {
        if (!call.write({ chunk: content.subarray(offset, offset + chunkBytes) })) await Promise.race([once(call, 'drain'), answered]);
      }
      if (!settled) call.end();
    })();
  });
}

/** Writes exactly the given messages: for protocol errors (chunk first, oversized chunk, metadata twice). */
export function uploadMessages(client: GrpcClient, messages: Record<string, unknown>[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const call = (client.stub as any).UploadArtifact(new Metadata(), { deadline: Date.now() + 30_000 }, (error: ServiceError | null, response: unknown) =>
      error ? reject(error) : resolve(response),
    );
    for (const message of messages) call.write(message);
    call.end();
  });
}

export interface Downloaded {
  artifact: any;
  content: Buffer;
  chunkSizes: number[];
}

/** DownloadArtifact: the metadata message, then every chunk; rejects with the stream's status. */
export function downloadArtifact(client: GrpcClient, artifactId: string): Promise<Downloaded> {
  return new Promise((resolve, reject) => {
    const call = (client.stub as any).DownloadArtifact({ artifactId }, new Metadata(), { deadline: Date.now() + 60_000 });
    let artifact: unknown;
    const chunks: Buffer[] = [];
    call.on('data', (message: { artifact?: unknown; chunk?: Buffer }) => {
      if (message.artifact) artifact = message.artifact;
      else if (message.chunk) chunks.push(message.chunk);
    });
    call.on('error', reject);
    call.on('end', () => resolve({ artifact, content: Buffer.concat(chunks), chunkSizes: chunks.map((c) => c.length) }));
  });
}

export { rejected } from '@pipewright/testing';
