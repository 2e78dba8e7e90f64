import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WriteBehindFile } from './write-behind-file';

const MiB = 1024 * 1024;
const openDescriptors = () => fs.readdir('/proc/self/fd').then((fds) => fds.length);

describe('WriteBehindFile', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(tmpdir(), 'pw-write-behind-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('writes every byte in order across several background flushes, owner-only, and closes its descriptor', async () => {
    const content = randomBytes(40 * MiB + 123);
    const chunks = Array.from({ length: Math.ceil(content.length / MiB) }, (_, i) => content.subarray(i * MiB, (i + 1) * MiB));
    const before = await openDescriptors();
    await pipeline(Readable.from(chunks), new WriteBehindFile(path.join(dir, 'blob')));
    expect((await fs.readFile(path.join(dir, 'blob'))).equals(content)).toBe(true);
    expect((await fs.stat(path.join(dir, 'blob'))).mode & 0o777).toBe(0o600);
    expect(await openDescriptors()).toBe(before);
  });

  it('refuses to write over an existing file and leaves it as it was', async () => {
    await fs.writeFile(path.join(dir, 'blob'), 'earlier');
    await expect(pipeline(Readable.from([Buffer.from('later')]), new WriteBehindFile(path.join(dir, 'blob')))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await fs.readFile(path.join(dir, 'blob'), 'utf8')).toBe('earlier');
  });

  it('closes its descriptor when the source fails half-way', async () => {
    const before = await openDescriptors();
    const failing = Readable.from(
      (async function* () {
        for (let i = 0; i < 20; i++) yield randomBytes(MiB);
        throw new Error('the sender went away');
      })(),
    );
    await expect(pipeline(failing, new WriteBehindFile(path.join(dir, 'blob')))).rejects.toThrow('the sender went away');
    expect(await openDescriptors()).toBe(before);
  });
});
