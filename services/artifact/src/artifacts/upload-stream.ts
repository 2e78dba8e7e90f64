import type { ServerReadableStream } from '@grpc/grpc-js';
import { artifactV1 } from '@pipewright/contracts';
import { Readable } from 'node:stream';
import { InvalidArtifactRequest } from './errors';

/** The proto's limit on one chunk message, both ways. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** An UploadArtifactRequest as proto-loader decodes it (`oneofs: true` names the set member). */
type UploadMessage = artifactV1.UploadArtifactRequest & { payload?: 'metadata' | 'chunk' };

export interface UploadStream {
  /** The first message's metadata; rejects if the stream does not start with one. */
  metadata: Promise<artifactV1.UploadArtifactMetadata>;
  /** The chunks' bytes, read at the consumer's pace: the call is paused while this stream is full. */
  content: Readable;
}

/**
 * Splits a client-streaming UploadArtifact call into its metadata and a byte stream. A protocol
 * error (no metadata first, metadata again, an oversized chunk) or a cancelled call destroys the
 * byte stream with the reason, so the blob store aborts the put and removes its temp file.
 */
export function uploadStream(call: ServerReadableStream<UploadMessage, unknown>): UploadStream {
  let resolveMetadata!: (m: artifactV1.UploadArtifactMetadata) => void;
  let rejectMetadata!: (e: Error) => void;
  const metadata = new Promise<artifactV1.UploadArtifactMetadata>((resolve, reject) => {
    resolveMetadata = resolve;
    rejectMetadata = reject;
  });
  metadata.catch(() => undefined); // the caller may be gone already; the rejection is still reported through `content`
  let started = false;

  const content = new Readable({
    read: () => call.resume(),
    destroy: (error, callback) => {
      call.off('data', onData);
      callback(error);
    },
  });
  // A failure before the blob store reads the stream has no other listener yet; the store's pipeline adds its own.
  content.on('error', () => undefined);
  const fail = (error: Error) => {
    rejectMetadata(error);
    content.destroy(error);
  };

  const onData = (message: UploadMessage) => {
    if (content.destroyed) return;
    const isMetadata = message.payload === 'metadata' || (message.payload === undefined && message.metadata !== undefined);
    if (!started) {
      if (!isMetadata || !message.metadata) return fail(new InvalidArtifactRequest('metadata', 'the first message of an upload must carry the metadata'));
      started = true;
      return resolveMetadata(message.metadata);
    }
    if (isMetadata) return fail(new InvalidArtifactRequest('metadata', 'only the first message of an upload may carry metadata'));
    const chunk = message.chunk;
    if (!chunk || chunk.length === 0) return;
    if (chunk.length > MAX_CHUNK_BYTES) return fail(new InvalidArtifactRequest('chunk', `a chunk is ${chunk.length} bytes; the limit is ${MAX_CHUNK_BYTES}`));
    if (!content.push(chunk)) call.pause();
  };

  call.on('data', onData);
  const cancelled = () => new Error('the client cancelled the upload');
  call.on('end', () => {
    // A client reset (RST_STREAM) also ends the stream, and grpc-js reports the cancellation only a
    // few ticks later: decide after those ticks, or a cut-off upload would be stored as complete.
    setImmediate(() => {
      if (call.cancelled) return fail(cancelled());
      if (!started) return fail(new InvalidArtifactRequest('metadata', 'the upload ended before its metadata'));
      if (!content.destroyed) content.push(null);
    });
  });
  call.on('cancelled', () => fail(cancelled()));
  call.on('error', (error: Error) => fail(error));
  return { metadata, content };
}
