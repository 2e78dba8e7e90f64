import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { configurationError, JobFailure } from '../job';
import type { ArtifactSpec } from './buildspec';

/**
 * Copies the files of `sourceRoot` (or its base directory) that match the spec's globs into
 * `outDir`, as CodeBuild's `artifacts` section does. Symlinks are copied as links, never followed.
 */
export async function collectArtifactFiles(sourceRoot: string, spec: ArtifactSpec, outDir: string, artifactName: string): Promise<number> {
  const base = path.resolve(sourceRoot, spec.baseDirectory ?? '.');
  const relativeBase = path.relative(sourceRoot, base);
  if (relativeBase.startsWith('..') || path.isAbsolute(relativeBase)) throw configurationError(`base-directory ${spec.baseDirectory} of ${artifactName} leaves the source directory`);
  const matches = picomatch(spec.files as string[], { dot: true });
  await fs.mkdir(outDir, { recursive: true });
  let copied = 0;
  for await (const relative of walkFiles(base, '')) {
    if (!matches(relative)) continue;
    const dest = path.join(outDir, spec.discardPaths ? path.basename(relative) : relative);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const source = path.join(base, relative);
    const stat = await fs.lstat(source);
    if (stat.isSymbolicLink()) await fs.symlink(await fs.readlink(source), dest);
    else await fs.copyFile(source, dest);
    copied += 1;
  }
  if (!copied) throw new JobFailure('JobFailed', `no files match ${spec.files.join(', ')} for output artifact ${artifactName} in ${spec.baseDirectory ?? 'the source directory'}`);
  return copied;
}

async function* walkFiles(root: string, relative: string): AsyncGenerator<string> {
  const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walkFiles(root, child);
    else if (entry.isFile() || entry.isSymbolicLink()) yield child;
  }
}
