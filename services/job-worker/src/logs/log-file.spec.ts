import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLines, tailOffset } from './log-file';

function logFile(content: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pw-log-')), 'job.log');
  writeFileSync(file, content);
  return file;
}

describe('tailOffset', () => {
  const text = 'one\ntwo\nthree\n';
  const file = logFile(text);

  it.each([
    [0, 0],
    [1, text.indexOf('three')],
    [2, text.indexOf('two')],
    [3, 0],
    [10, 0],
  ])('the last %i line(s) start at %i', async (lines, offset) => {
    expect(await tailOffset(file, text.length, lines)).toBe(offset);
  });

  it('counts an unterminated last line as a line', async () => {
    const partial = logFile('one\ntwo');
    expect(await tailOffset(partial, 7, 1)).toBe(4);
  });

  it('finds lines across 64 KiB blocks', async () => {
    const long = `${'a'.repeat(70_000)}\n${'b'.repeat(70_000)}\nend\n`;
    const big = logFile(long);
    expect(await tailOffset(big, long.length, 2)).toBe(long.indexOf('b'));
  });
});

describe('readLines', () => {
  it('returns whole lines and leaves an unfinished one for later while the job runs', async () => {
    const file = logFile('one\ntwo\nthr');
    const { chunks, end } = await readLines(file, 0, 11, true);
    expect(chunks).toEqual([{ text: 'one\ntwo\n', offset: 0 }]);
    expect(end).toBe(8);
  });

  it('returns the unfinished line too once the job has ended', async () => {
    const file = logFile('one\ntwo\nthr');
    const { chunks, end } = await readLines(file, 4, 11, false);
    expect(chunks.map((c) => c.text).join('')).toBe('two\nthr');
    expect(chunks[0].offset).toBe(4);
    expect(end).toBe(11);
  });

  it('splits a large log into chunks of whole lines without breaking UTF-8 characters', async () => {
    const line = `${'é'.repeat(1000)}\n`;
    const content = line.repeat(100);
    const file = logFile(content);
    const size = Buffer.byteLength(content);
    const { chunks, end } = await readLines(file, 0, size, true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.text.endsWith('\n') && !c.text.includes('\uFFFD'))).toBe(true);
    expect(chunks.map((c) => c.text).join('')).toBe(content);
    expect(end).toBe(size);
    for (const [i, chunk] of chunks.entries()) if (i > 0) expect(chunk.offset).toBe(chunks[i - 1].offset + Buffer.byteLength(chunks[i - 1].text));
  });

  it('returns nothing for an empty range', async () => {
    expect(await readLines(logFile('x\n'), 2, 2, true)).toEqual({ chunks: [], end: 2 });
  });
});
