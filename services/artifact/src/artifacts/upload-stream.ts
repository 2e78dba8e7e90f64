import { InvalidRequest } from '@pipewright/decider';
import type { ServerReadableStream } from '@grpc/grpc-js';
import type { Http2Session, Http2Stream } from 'node:http2';
import { artifactV1 } from '@pipewright/contracts';
import { Readable } from 'node:stream';
import { clientCancelled } from './errors';

/** The proto's limit on one chunk message, both ways. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * HTTP/2 flow-control windows for uploads. Node's default stream window is 64 KiB, so a client
 * could send only 64 KiB before waiting a round trip for a WINDOW_UPDATE: 16 waits per 1 MiB chunk.
 * grpc-js 1.14 has no server option for it ('grpc-node.flow_control_window' is the client's), so
 * the session is widened from the first upload on it. Memory stays bounded: a paused call stops
 * reading, and the client can then send at most one stream window more.
 */
const STREAM_WINDOW_BYTES = 8 * MAX_CHUNK_BYTES;
const SESSION_WINDOW_BYTES = 32 * MAX_CHUNK_BYTES;
const widenedSessions = new WeakSet<Http2Session>();

/** An UploadArtifactRequest as proto-loader decodes it (`oneofs: true` names the set member). */
type UploadMessage = artifactV1.UploadArtifactRequest & { payload?: 'metadata' | 'chunk' };

export interface UploadStream {
  /** The first message's metadata; rejects if the stream does not start with one. */
  metadata: Promise<artifactV1.UploadArtifactMetadata>;
  /** The chunks' bytes, read at the consumer's pace: the call is paused while this stream is full. */
  content: Readable;
  /** Aborted when the client cancels: check it before committing what the bytes became. */
  cancelled: AbortSignal;
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
    // A few chunks of slack: the call keeps receiving while the store writes the previous chunk,
    // instead of pausing after every message (Readable's default is 16 KiB, less than one chunk).
    highWaterMark: 4 * MAX_CHUNK_BYTES,
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
      if (!isMetadata || !message.metadata) return fail(InvalidRequest.at('metadata', 'the first message of an upload must carry the metadata'));
      started = true;
      return resolveMetadata(message.metadata);
    }
    if (isMetadata) return fail(InvalidRequest.at('metadata', 'only the first message of an upload may carry metadata'));
    const chunk = message.chunk;
    if (!chunk || chunk.length === 0) return;
    if (chunk.length > MAX_CHUNK_BYTES) return fail(InvalidRequest.at('chunk', `a chunk is ${chunk.length} bytes; the limit is ${MAX_CHUNK_BYTES}`));
    if (!content.push(chunk)) call.pause();
  };

  widenUploadWindows(call);
  call.on('data', onData);
  const cancellation = new AbortController();
  const cancel = () => {
    if (cancellation.signal.aborted) return;
    const error = clientCancelled('the client cancelled the upload');
    cancellation.abort(error);
    fail(error);
  };
  call.on('end', () => {
    // setImmediate: a reset read in the same burst as the end is reported first.
    setImmediate(() => {
      if (cancellation.signal.aborted) return;
      if (!started) return fail(InvalidRequest.at('metadata', 'the upload ended before its metadata'));
      if (!content.destroyed) content.push(null);
    });
  });
  call.on('cancelled', cancel);
  http2StreamOf(call)?.once('aborted', cancel);
  call.on('error', (error: Error) => fail(error));
  return { metadata, content, cancelled: cancellation.signal };
}

/** Widens the flow-control windows of the call's HTTP/2 session, once per session (see STREAM_WINDOW_BYTES). */
export function widenUploadWindows(call: ServerReadableStream<unknown, unknown>): void {
  const session: Http2Session | undefined = http2StreamOf(call)?.session;
  if (!session || session.destroyed || widenedSessions.has(session)) return;
  widenedSessions.add(session);
  session.setLocalWindowSize(SESSION_WINDOW_BYTES);
  // Applies to the streams already open too (RFC 9113 §6.9.2), this upload included.
  session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
}

/**
 * A Node client's call.cancel() ends its side of the HTTP/2 stream before it resets it, so grpc-js
 * first reports an ordinary end of the request stream and says 'cancelled' only later, sometimes
 * after the response (grpc/grpc-node#2583). The HTTP/2 stream says 'aborted' as soon as the reset
 * arrives. Reaching it uses grpc-js internals (1.14); the e2e test of a cancelled upload is there
 * to notice when an upgrade moves them.
 */
function http2StreamOf(call: ServerReadableStream<unknown, unknown>): Http2Stream | undefined {
  let inner = (call as unknown as { call?: { stream?: Http2Stream; nextCall?: unknown } }).call;
  while (inner && !inner.stream && inner.nextCall) inner = inner.nextCall as typeof inner;
  return inner?.stream;
}
