import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { UnsafeArchiveEntry } from './errors';

export interface ExtractReport {
  readonly entries: number;
  readonly bytes: number;
}

/**
 * Extracts a tar stream into `targetDir`, writing nothing outside it: absolute names, `..`
 * segments, links whose target leaves the directory, writes through a symlink, and device or
 * fifo entries are refused with UnsafeArchiveEntry before anything is written for that entry.
 */
export async function extractArchive(source: Readable | AsyncIterable<Uint8Array>, targetDir: string): Promise<ExtractReport> {
  await fs.mkdir(targetDir, { recursive: true });
  const root = await fs.realpath(targetDir);
  const input = source instanceof Readable ? source : Readable.from(source);
  const extract = tar.extract();
  input.on('error', (error) => extract.destroy(error));
  input.pipe(extract);
  const symlinks: string[] = [];
  let entries = 0;
  let bytes = 0;
  try {
    for await (const entry of extract) {
      entries += 1;
      bytes += await extractEntry(root, entry, symlinks);
    }
    // Each link was checked alone; together (a link through another link) they must stay inside too.
    for (const name of symlinks) {
      if (await escapesRoot(root, name)) throw new UnsafeArchiveEntry(name, 'symlink resolves outside the target directory');
    }
  } catch (error) {
    input.destroy();
    await Promise.all(symlinks.map((name) => fs.rm(path.join(root, name), { force: true })));
    throw error;
  }
  return { entries, bytes };
}

async function extractEntry(root: string, entry: tar.Entry, symlinks: string[]): Promise<number> {
  const { header } = entry;
  const name = safeRelative(header.name, header.name);
  const dest = name && path.join(root, name);
  switch (header.type) {
    case 'directory':
      entry.resume();
      if (name) await makeDirectories(root, name, header.name);
      return 0;
    case 'file':
    case 'contiguous-file': {
      const target = requireName(dest, header.name);
      await makeDirectories(root, path.posix.dirname(name), header.name);
      await fs.rm(target, { force: true }); // never write into an existing link (sym or hard)
      const mode = (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const handle = await fs.open(target, flags, mode);
      await pipeline(entry, handle.createWriteStream());
      return header.size ?? 0;
    }
    case 'symlink': {
      entry.resume();
      const target = requireName(dest, header.name);
      const link = header.linkname ?? '';
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(name), link));
      if (!link || path.isAbsolute(link) || resolved === '..' || resolved.startsWith('../')) {
        throw new UnsafeArchiveEntry(header.name, `symlink to ${JSON.stringify(link)} leaves the target directory`);
      }
      await makeDirectories(root, path.posix.dirname(name), header.name);
      await fs.rm(target, { force: true });
      await fs.symlink(link, target);
      symlinks.push(name);
      return 0;
    }
    case 'link': {
      entry.resume();
      const target = requireName(dest, header.name);
      const linked = safeRelative(header.linkname ?? '', header.name);
      await makeDirectories(root, path.posix.dirname(linked), header.name, false);
      const stat = await fs.lstat(path.join(root, linked)).catch(() => undefined);
      if (!stat?.isFile()) throw new UnsafeArchiveEntry(header.name, `hard link to ${JSON.stringify(header.linkname)} is not a file extracted before it`);
      await makeDirectories(root, path.posix.dirname(name), header.name);
      await fs.rm(target, { force: true });
      await fs.link(path.join(root, linked), target);
      return 0;
    }
    default:
      entry.resume();
      throw new UnsafeArchiveEntry(header.name, `${header.type ?? 'unknown'} entries are not extracted`);
  }
}

/** The entry path as clean relative segments; '' for the root itself. */
function safeRelative(name: string, entryName: string): string {
  if (name.includes('\0')) throw new UnsafeArchiveEntry(entryName, 'NUL in path');
  if (path.isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.startsWith('\\')) throw new UnsafeArchiveEntry(entryName, 'absolute path');
  const parts = name.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveEntry(entryName, "'..' segment");
  return parts.join('/');
}

function requireName(dest: string, entryName: string): string {
  if (!dest) throw new UnsafeArchiveEntry(entryName, 'names the target directory itself');
  return dest;
}

/** Creates (or with create=false, only checks) each directory of `relative`, refusing to pass through a symlink. */
async function makeDirectories(root: string, relative: string, entryName: string, create = true): Promise<void> {
  let current = root;
  for (const part of relative.split('/').filter((p) => p && p !== '.')) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (stat?.isSymbolicLink()) throw new UnsafeArchiveEntry(entryName, `path passes through the symlink ${part}`);
    if (stat && !stat.isDirectory()) throw new UnsafeArchiveEntry(entryName, `${part} is not a directory`);
    if (!stat && create) await fs.mkdir(current);
  }
}

/** Resolves `relative` the way the kernel would, following links on disk; true if it leaves root. */
async function escapesRoot(root: string, relative: string): Promise<boolean> {
  const stack: string[] = [];
  let queue = relative.split('/');
  let hops = 0;
  while (queue.length) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!stack.length) return true;
      stack.pop();
      continue;
    }
    stack.push(part);
    const current = path.join(root, ...stack);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat?.isSymbolicLink()) continue;
    if ((hops += 1) > 40) return true;
    const link = await fs.readlink(current);
    if (path.isAbsolute(link)) return true;
    stack.pop();
    queue = [...link.split('/'), ...queue];
  }
  return false;
}
