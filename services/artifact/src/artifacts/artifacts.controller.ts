import { InvalidRequest, pageSize } from '@pipewright/decider';
import { Controller, Logger } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import { Metadata, sendUnaryData, ServerReadableStream, ServerWritableStream, status } from '@grpc/grpc-js';
import { artifactV1, timestampFromDate } from '@pipewright/contracts';
import { authorizeFirstMessage, callerAccess, reportCallResult, toGrpcError } from '@pipewright/service-kit';
import { randomUUID } from 'node:crypto';
import { from, ignoreElements, Observable } from 'rxjs';
import { ArtifactCursor, ArtifactRecord } from './artifact-repository';
import { ArtifactsHandler, NewArtifact } from './artifacts.handler';
import { clientCancelled } from './errors';
import { MAX_CHUNK_BYTES, uploadStream } from './upload-stream';

const toMessage = (r: ArtifactRecord): artifactV1.Artifact => ({
  artifactId: r.artifactId,
  name: r.name,
  pipelineName: r.pipelineName,
  pipelineExecutionId: r.pipelineExecutionId,
  actionName: r.actionName,
  sha256: r.sha256,
  sizeBytes: String(r.sizeBytes),
  contentType: r.contentType,
  created: timestampFromDate(r.created),
});

const MAX_FIELD_LENGTH = 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function required(value: string | null | undefined, path: string): string {
  if (!value) throw InvalidRequest.at(path, `${path} is required`);
  if (value.length > MAX_FIELD_LENGTH) throw InvalidRequest.at(path, `${path} is longer than ${MAX_FIELD_LENGTH} characters`);
  return value;
}

function newArtifact(m: artifactV1.UploadArtifactMetadata): NewArtifact {
  const expected = m.expectedSha256 ? m.expectedSha256.toLowerCase() : undefined;
  if (expected !== undefined && !SHA256_HEX.test(expected)) throw InvalidRequest.at('metadata.expected_sha256', 'expected_sha256 must be 64 hex characters');
  return {
    pipelineExecutionId: required(m.pipelineExecutionId, 'metadata.pipeline_execution_id'),
    pipelineName: required(m.pipelineName, 'metadata.pipeline_name'),
    actionName: required(m.actionName, 'metadata.action_name'),
    name: required(m.name, 'metadata.name'),
    contentType: m.contentType || 'application/x-tar',
    expectedSha256: expected,
  };
}

/** next_token: the (created, artifact id) of the last artifact of the previous page, opaque to callers. */
const encodeToken = (r: ArtifactRecord) => Buffer.from(`${r.created.toISOString()} ${r.artifactId}`).toString('base64url');

function decodeToken(token: string): ArtifactCursor | undefined {
  if (!token) return undefined;
  const [iso, artifactId] = Buffer.from(token, 'base64url').toString('utf8').split(' ');
  const created = new Date(iso);
  if (!artifactId || !/^[0-9a-f-]{36}$/.test(artifactId) || Number.isNaN(created.getTime())) {
    throw InvalidRequest.at('next_token', 'next_token is not one this service issued');
  }
  return { created, artifactId };
}

/** Writes one message, waiting for the client to take the previous ones: a slow reader never makes us buffer. */
function send(call: ServerWritableStream<unknown, artifactV1.DownloadArtifactResponse>, message: artifactV1.DownloadArtifactResponse): Promise<void> {
  if (call.cancelled) return Promise.reject(clientCancelled('the client cancelled the download'));
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      call.off('drain', onDrain);
      call.off('cancelled', onCancel);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onCancel = () => done(clientCancelled('the client cancelled the download'));
    call.on('drain', onDrain);
    call.on('cancelled', onCancel);
  });
}

/** gRPC adapter of ArtifactService: proto messages and streams in and out, nothing else. */
@Controller()
export class ArtifactsController {
  private readonly logger = new Logger('artifacts');

  constructor(private readonly handler: ArtifactsHandler) {}

  /**
   * The raw call (GrpcStreamCall) rather than an Observable: the call is paused while the blob
   * store is behind, so an upload is never held in memory. Errors are answered here, through the
   * same mapping the global filter uses, because Nest's filter cannot reach a raw callback.
   */
  @GrpcStreamCall('ArtifactService')
  async uploadArtifact(call: ServerReadableStream<artifactV1.UploadArtifactRequest, artifactV1.UploadArtifactResponse>, callback: sendUnaryData<artifactV1.UploadArtifactResponse>): Promise<void> {
    const upload = uploadStream(call);
    try {
      const metadata = await upload.metadata;
      // The guard let the call in unread: its pipeline is in this first message. Nothing is stored before this.
      await authorizeFirstMessage(call, 'ArtifactService', 'UploadArtifact', { metadata });
      const artifact = newArtifact(metadata);
      const record = await this.handler.upload(artifact, upload.content, randomUUID(), new Date(), upload.cancelled);
      callback(null, { artifact: toMessage(record) });
      reportCallResult(call.metadata);
    } catch (error) {
      upload.content.destroy();
      const grpcError = toGrpcError(error);
      if (grpcError.code === status.INTERNAL) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      callback(grpcError);
      reportCallResult(call.metadata, error);
    }
  }

  /** Writes to the call itself (Nest hands it over as the third argument) to wait for the client between chunks. */
  @GrpcMethod('ArtifactService')
  downloadArtifact(request: artifactV1.DownloadArtifactRequest, _metadata: Metadata, call: ServerWritableStream<unknown, artifactV1.DownloadArtifactResponse>): Observable<never> {
    return from(this.sendArtifact(request, call)).pipe(ignoreElements());
  }

  private async sendArtifact(request: artifactV1.DownloadArtifactRequest, call: ServerWritableStream<unknown, artifactV1.DownloadArtifactResponse>): Promise<void> {
    const { artifact, content } = await this.handler.download(required(request.artifactId, 'artifact_id'));
    await send(call, { artifact: toMessage(artifact) });
    // Chunks of the proto's limit: fewest messages, each of which waits for its own drain (64 KiB
    // messages ran at half the transport's rate). The stores read 1 MiB at a time, so a read usually
    // is a whole chunk and is sent as it is; smaller reads are gathered.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const data of content as AsyncIterable<Buffer>) {
      if (pendingBytes === 0 && data.length === MAX_CHUNK_BYTES) {
        await send(call, { chunk: data });
        continue;
      }
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes < MAX_CHUNK_BYTES) continue;
      const gathered = Buffer.concat(pending, pendingBytes);
      let offset = 0;
      for (; gathered.length - offset >= MAX_CHUNK_BYTES; offset += MAX_CHUNK_BYTES) await send(call, { chunk: gathered.subarray(offset, offset + MAX_CHUNK_BYTES) });
      pending = offset < gathered.length ? [gathered.subarray(offset)] : [];
      pendingBytes = gathered.length - offset;
    }
    if (pendingBytes > 0) await send(call, { chunk: Buffer.concat(pending, pendingBytes) });
  }

  @GrpcMethod('ArtifactService')
  async statArtifact(request: artifactV1.StatArtifactRequest): Promise<artifactV1.StatArtifactResponse> {
    return { artifact: toMessage(await this.handler.stat(required(request.artifactId, 'artifact_id'))) };
  }

  @GrpcMethod('ArtifactService')
  async listArtifacts(request: artifactV1.ListArtifactsRequest, metadata?: Metadata): Promise<artifactV1.ListArtifactsResponse> {
    const executionId = required(request.pipelineExecutionId, 'pipeline_execution_id');
    const limit = pageSize(request.maxResults);
    // Only the pipeline the call was authorized on (the execution's), whatever else an uploader filed under its id.
    const pipeline = callerAccess(metadata)?.resource.pipeline;
    const rows = await this.handler.list(executionId, pipeline, decodeToken(request.nextToken ?? ''), limit + 1);
    const page = rows.slice(0, limit);
    return { artifacts: page.map(toMessage), nextToken: rows.length > limit ? encodeToken(page[page.length - 1]) : '' };
  }

  @GrpcMethod('ArtifactService')
  async deleteArtifact(request: artifactV1.DeleteArtifactRequest): Promise<artifactV1.DeleteArtifactResponse> {
    await this.handler.delete(required(request.artifactId, 'artifact_id'));
    return {};
  }
}
