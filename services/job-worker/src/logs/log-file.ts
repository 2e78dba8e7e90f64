import { promises as fs } from 'node:fs';

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;

export interface LogChunk {
  text: string;
  offset: number;
}

/**
 * The bytes [from, to) of a log as chunks of whole lines (at most 64 KiB each unless one line is
 * longer). With `wholeLines`, an unterminated last line is left for later: the job is still writing it.
 * Returns the chunks and the offset reading stopped at.
 */
export async function readLines(file: string, from: number, to: number, wholeLines: boolean): Promise<{ chunks: LogChunk[]; end: number }> {
  const chunks: LogChunk[] = [];
  if (to <= from) return { chunks, end: from };
  const handle = await fs.open(file, 'r');
  try {
    let offset = from;
    let carry = Buffer.alloc(0);
    while (offset + carry.length < to) {
      const length = Math.min(BLOCK, to - offset - carry.length);
      const block = Buffer.alloc(length);
      const { bytesRead } = await handle.read(block, 0, length, offset + carry.length);
      if (bytesRead === 0) break;
      const data = Buffer.concat([carry, block.subarray(0, bytesRead)]);
      const cut = data.lastIndexOf(NEWLINE) + 1;
      if (cut === 0 && data.length < BLOCK) {
        carry = data; // no line ends yet in this block: read on
        continue;
      }
      const take = cut === 0 ? data.length : cut;
      chunks.push({ text: data.subarray(0, take).toString('utf8'), offset });
      offset += take;
      carry = data.subarray(take);
    }
    if (carry.length > 0 && !wholeLines) {
      chunks.push({ text: carry.toString('utf8'), offset });
      offset += carry.length;
    }
    return { chunks, end: offset };
  } finally {
    await handle.close();
  }
}

/** The offset where the last `lines` lines of the first `size` bytes start (0 when there are fewer). */
export async function tailOffset(file: string, size: number, lines: number): Promise<number> {
  if (lines <= 0 || size === 0) return 0;
  const handle = await fs.open(file, 'r');
  try {
    // A final newline ends the last line; it does not start another one.
    let position = size;
    let seen = 0;
    let skipFinal = true;
    while (position > 0) {
      const length = Math.min(BLOCK, position);
      position -= length;
      const block = Buffer.alloc(length);
      await handle.read(block, 0, length, position);
      for (let i = length - 1; i >= 0; i--) {
        if (block[i] !== NEWLINE) {
          skipFinal = false;
          continue;
        }
        if (skipFinal) {
          skipFinal = false;
          continue;
        }
        if (++seen === lines) return position + i + 1;
      }
    }
    return 0;
  } finally {
    await handle.close();
  }
}
