import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClientDuplexStream, ClientReadableStream, ClientWritableStream, ServiceError, status } from '@grpc/grpc-js';
import { artifactV1, commonV1 } from '@pipewright/contracts';
import { GrpcClient, jobMetadata } from '@pipewright/service-kit';

const CHUNK_BYTES = 1024 * 1024;

export interface UploadTarget {
  pipelineExecutionId: string;
  pipelineName: string;
  actionName: string;
  name: string;
}

/** The artifact service could not be reached or refused: the job fails as SystemUnavailable, so it can be retried. */
export class ArtifactTransferFailed extends Error {
  constructor(message: string, readonly transient: boolean) {
    super(message);
    this.name = new.target.name;
  }
}

type Stub = Record<string, (...args: unknown[]) => unknown>;

/** ArtifactService over gRPC streams: downloads verified against the expected digest, uploads in ≤1 MiB chunks. */
export class ArtifactClient {
  private readonly grpc: GrpcClient;

  constructor(address: string) {
    this.grpc = new GrpcClient('ArtifactService', address);
  }

  /** The artifact's bytes as they arrive; fails if they do not hash to the location's sha256. */
  async *download(location: commonV1.ArtifactRef, signal: AbortSignal, jobToken?: string): AsyncGenerator<Buffer> {
    const call = (this.grpc.stub as unknown as Stub).DownloadArtifact({ artifactId: location.artifactId }, jobMetadata(jobToken)) as ClientReadableStream<{ artifact?: artifactV1.Artifact; chunk?: Buffer }>;
    const abort = () => call.cancel();
    signal.addEventListener('abort', abort, { once: true });
    const hash = createHash('sha256');
    let size = 0;
    let complete = false;
    try {
      for await (const message of call) {
        if (!message.chunk) continue;
        hash.update(message.chunk);
        size += message.chunk.length;
        yield message.chunk;
      }
      complete = true;
    } catch (error) {
      throw transferError(`downloading artifact ${location.artifactId}`, error);
    } finally {
      signal.removeEventListener('abort', abort);
      // The reader stopped early (e.g. an unsafe archive entry): the server need not send the rest.
      if (!complete) call.cancel();
    }
    const digest = hash.digest('hex');
    if (location.sha256 && digest !== location.sha256.toLowerCase()) {
      throw new ArtifactTransferFailed(`artifact ${location.artifactId} hashed to ${digest}, expected ${location.sha256}`, false);
    }
    if (Number(location.sizeBytes) > 0 && size !== Number(location.sizeBytes)) {
      throw new ArtifactTransferFailed(`artifact ${location.artifactId} has ${size} bytes, expected ${location.sizeBytes}`, false);
    }
  }

  /** Streams the bytes up (first message: metadata) and returns the stored artifact's location. */
  /** With a job token the call acts for that job only (its pipeline's artifacts); without one, as the worker service. */
  async upload(target: UploadTarget, bytes: Readable, signal: AbortSignal, jobToken?: string): Promise<commonV1.ArtifactRef> {
    const hash = createHash('sha256');
    let size = 0;
    let call!: ClientWritableStream<unknown>;
    const response = new Promise<{ artifact?: artifactV1.Artifact }>((resolve, reject) => {
      call = (this.grpc.stub as unknown as Stub).UploadArtifact(jobMetadata(jobToken), (error: ServiceError | null, res: { artifact?: artifactV1.Artifact }) =>
        error ? reject(error) : resolve(res),
      ) as ClientWritableStream<unknown>;
    });
    const abort = () => (call as unknown as ClientDuplexStream<unknown, unknown>).cancel();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await write(call, response, { metadata: { ...target, contentType: 'application/x-tar' } });
      for await (const piece of rechunk(bytes)) {
        hash.update(piece);
        size += piece.length;
        await write(call, response, { chunk: piece });
      }
      call.end();
      const { artifact } = await response;
      if (!artifact?.artifactId) throw new ArtifactTransferFailed(`uploading artifact ${target.name}: the service returned no artifact id`, false);
      const digest = hash.digest('hex');
      if (artifact.sha256 !== digest) throw new ArtifactTransferFailed(`uploaded artifact ${target.name} was stored as ${artifact.sha256}, but its bytes hash to ${digest}`, false);
      return { artifactId: artifact.artifactId, sha256: digest, sizeBytes: String(size) };
    } catch (error) {
      if (error instanceof ArtifactTransferFailed) throw error;
      abort();
      throw transferError(`uploading artifact ${target.name}`, error);
    } finally {
      signal.removeEventListener('abort', abort);
      response.catch(() => undefined);
    }
  }

  close(): void {
    this.grpc.close();
  }
}

/** Writes with backpressure; a call the server already ended (response settled) stops the wait. */
async function write(call: ClientWritableStream<unknown>, response: Promise<unknown>, message: unknown): Promise<void> {
  if (!call.write(message)) await Promise.race([new Promise((resolve) => call.once('drain', resolve)), response]);
}

/** Pieces of at most 1 MiB, as the contract wants, whatever sizes the source yields. */
async function* rechunk(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  for await (const data of source) {
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
    for (let at = 0; at < buffer.length; at += CHUNK_BYTES) yield buffer.subarray(at, at + CHUNK_BYTES);
  }
}

function transferError(what: string, error: unknown): ArtifactTransferFailed {
  const code = (error as Partial<ServiceError>)?.code;
  const transient = code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.RESOURCE_EXHAUSTED || code === status.CANCELLED;
  const detail = (error as Partial<ServiceError>)?.details || (error as Error)?.message || String(error);
  return new ArtifactTransferFailed(`${what} failed: ${detail}`, transient);
}
