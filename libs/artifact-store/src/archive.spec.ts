import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { UnsafeArchiveEntry, extractArchive, packDirectory } from './index';

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A hand-made archive, as an attacker would craft it. */
function archive(entries: Array<tar.Headers & { content?: string }>): Readable {
  const pack = tar.pack();
  for (const { content, ...header } of entries) pack.entry(header, content ?? '');
  pack.finalize();
  return Readable.from(pack);
}

async function tree(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true })) found.push(String(entry));
  return found.sort();
}

describe('archives', () => {
  let sandbox: string;
  let target: string;
  beforeEach(async () => {
    sandbox = await fs.mkdtemp(path.join(tmpdir(), 'pw-archive-'));
    target = path.join(sandbox, 'target');
  });
  afterEach(() => fs.rm(sandbox, { recursive: true, force: true }));

  async function makeTree(root: string): Promise<void> {
    await fs.mkdir(path.join(root, 'src/nested'), { recursive: true });
    await fs.writeFile(path.join(root, 'README.md'), 'hello\n');
    await fs.writeFile(path.join(root, 'src/nested/big.bin'), Buffer.alloc(300_000, 7));
    await fs.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await fs.symlink('src/nested/big.bin', path.join(root, 'link-to-big'));
  }

  it('packs the same tree to the same digest whatever the timestamps, and extracts it back', async () => {
    const first = path.join(sandbox, 'a');
    const second = path.join(sandbox, 'b');
    await makeTree(first);
    await makeTree(second);
    await fs.utimes(path.join(second, 'README.md'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await digestOf(packDirectory(first))).toBe(await digestOf(packDirectory(second)));

    const report = await extractArchive(packDirectory(first), target);
    expect(report.entries).toBe(6);
    expect(await tree(target)).toEqual(await tree(first));
    expect((await fs.readFile(path.join(target, 'src/nested/big.bin'))).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(await fs.readlink(path.join(target, 'link-to-big'))).toBe('src/nested/big.bin');
    expect((await fs.stat(path.join(target, 'run.sh'))).mode & 0o111).not.toBe(0);
  });

  it.each([
    ['a parent-directory escape', [{ name: '../x', content: 'owned' }], '../x'],
    ['a nested parent-directory escape', [{ name: 'ok/../../x', content: 'owned' }], 'ok/../../x'],
    ['an absolute path', [{ name: '/etc/pipewright-test-x', content: 'owned' }], '/etc/pipewright-test-x'],
    ['a symlink to /etc', [{ name: 'etc', type: 'symlink' as const, linkname: '/etc' }, { name: 'etc/pipewright-test-x', content: 'owned' }], 'etc'],
    ['a relative symlink leaving the target', [{ name: 'up', type: 'symlink' as const, linkname: '../..' }, { name: 'up/x', content: 'owned' }], 'up'],
    ['a hard link escaping', [{ name: 'passwd', type: 'link' as const, linkname: '../../../etc/passwd' }], 'passwd'],
    ['an absolute hard link', [{ name: 'passwd', type: 'link' as const, linkname: '/etc/passwd' }], 'passwd'],
    ['a device entry', [{ name: 'null', type: 'character-device' as const, devmajor: 1, devminor: 3 }], 'null'],
  ])('refuses %s, writing nothing outside the target', async (_case, entries, refused) => {
    const error = await extractArchive(archive(entries), target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveEntry);
    expect((error as UnsafeArchiveEntry).entryName).toBe(refused);
    expect(await fs.readdir(sandbox)).toEqual(['target']);
    await expect(fs.access('/etc/pipewright-test-x')).rejects.toThrow();
  });

  it('refuses a file written through a symlink that points inside the target', async () => {
    const entries = [
      { name: 'dir', type: 'directory' as const },
      { name: 'alias', type: 'symlink' as const, linkname: 'dir' },
      { name: 'alias/file', content: 'through a link' },
    ];
    await expect(extractArchive(archive(entries), target)).rejects.toMatchObject({ entryName: 'alias/file' });
    expect(await fs.readdir(path.join(target, 'dir'))).toEqual([]);
  });

  it('refuses links that each look inside but together resolve outside', async () => {
    const entries = [
      { name: 'here', type: 'symlink' as const, linkname: '.' },
      { name: 'sub', type: 'directory' as const },
      { name: 'sub/loop', type: 'symlink' as const, linkname: '../here/..' },
    ];
    await expect(extractArchive(archive(entries), target)).rejects.toBeInstanceOf(UnsafeArchiveEntry);
    expect(await tree(target)).toEqual(['sub']);
  });

  it('replaces a symlink by a later file entry instead of writing through it', async () => {
    await fs.writeFile(path.join(sandbox, 'outside'), 'untouched');
    const entries = [
      { name: 'f', type: 'symlink' as const, linkname: 'g' },
      { name: 'f', content: 'plain file now' },
    ];
    await extractArchive(archive(entries), target);
    expect((await fs.lstat(path.join(target, 'f'))).isFile()).toBe(true);
    expect(await fs.readFile(path.join(sandbox, 'outside'), 'utf8')).toBe('untouched');
  });

  it('extracts a hard link to a file inside the target', async () => {
    const entries = [{ name: 'a.txt', content: 'same inode' }, { name: 'b.txt', type: 'link' as const, linkname: 'a.txt' }];
    await extractArchive(archive(entries), target);
    expect(await fs.readFile(path.join(target, 'b.txt'), 'utf8')).toBe('same inode');
  });
});
