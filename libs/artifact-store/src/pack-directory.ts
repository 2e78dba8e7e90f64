import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

/** Fixed mtime and owner so the same tree always packs to the same bytes (and the same digest). */
const EPOCH = new Date(0);

/**
 * Streams a directory as a tar archive: entries in byte order of their paths, no timestamps or
 * owners, modes reduced to 0644/0755. Symlinks are kept as links (never followed).
 */
export function packDirectory(dir: string): Readable {
  const pack = tar.pack();
  void (async () => {
    for await (const relative of walk(dir, '')) {
      const full = path.join(dir, relative);
      const stat = await fs.lstat(full);
      const common = { name: relative, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
      if (stat.isDirectory()) await addEntry(pack, { ...common, type: 'directory', mode: 0o755 });
      else if (stat.isSymbolicLink()) await addEntry(pack, { ...common, type: 'symlink', linkname: await fs.readlink(full), mode: 0o777 });
      else if (stat.isFile()) await addFile(pack, { ...common, type: 'file', size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 }, full);
    }
    pack.finalize();
  })().catch((error: Error) => pack.destroy(error));
  return Readable.from(pack);
}

async function* walk(root: string, relative: string): AsyncGenerator<string> {
  const names = (await fs.readdir(path.join(root, relative))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const child = relative ? `${relative}/${name}` : name;
    yield child;
    const stat = await fs.lstat(path.join(root, child));
    if (stat.isDirectory()) yield* walk(root, child);
  }
}

function addEntry(pack: tar.Pack, header: tar.Headers): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
}

/** Streams the file into the entry with backpressure, so no file is ever read whole. */
async function addFile(pack: tar.Pack, header: tar.Headers, file: string): Promise<void> {
  let entry!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    entry = pack.entry(header, (error) => (error ? reject(error) : resolve()));
  });
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    if (!entry.write(chunk)) await new Promise((resolve) => entry.once('drain', resolve));
  }
  entry.end();
  await done;
}
