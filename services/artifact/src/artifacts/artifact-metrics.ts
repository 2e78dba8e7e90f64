import { counter } from '@pipewright/telemetry';

/** Bytes of an upload that was recorded (a rejected or cancelled upload stored nothing). */
export function countBytesIn(bytes: number): void {
  counter('artifactBytes').add(bytes, { direction: 'in' });
}

/** Counts the bytes of a download as they are sent, so a cancelled download counts what left. */
export async function* countingBytesOut(content: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  for await (const chunk of content) {
    counter('artifactBytes').add(chunk.length, { direction: 'out' });
    yield chunk;
  }
}
