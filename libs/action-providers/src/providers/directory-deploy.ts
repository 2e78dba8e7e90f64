import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { configurationError, integerConfig, optionalConfig, primaryInputDir, requiredConfig, succeeded, type ActionProvider, type ActionTypeId, type JobContext, type JobOutcome } from '../job';
import { LineLog } from '../process/line-log';
import { abortFailure, exitFailure, jobEnvironment, runBash } from '../process/shell';

/**
 * Deploy/Pipewright/Directory: copies the input artifact to TargetDirectory/releases/<id>/ and
 * switches TargetDirectory/current to it with one rename (readers see the old or the new
 * release, never a mix); keeps the newest KeepReleases. With DeployCommand, runs that instead.
 */
export class DirectoryDeployProvider implements ActionProvider {
  supports(type: ActionTypeId): boolean {
    return type.category === 'Deploy' && type.owner === 'Pipewright' && type.provider === 'Directory';
  }

  async run(job: JobContext): Promise<JobOutcome> {
    const target = requiredConfig(job, 'TargetDirectory');
    if (!path.isAbsolute(target)) throw configurationError(`TargetDirectory ${target} must be an absolute path`);
    const keep = integerConfig(job, 'KeepReleases', 5, 1, 1000);
    const source = primaryInputDir(job);
    const command = optionalConfig(job, 'DeployCommand');
    if (command !== undefined) return runDeployCommand(job, command, source, target);

    const releaseId = releaseName(job);
    const releases = path.join(target, 'releases');
    const release = path.join(releases, releaseId);
    await fs.mkdir(releases, { recursive: true });
    // Copy beside, then rename: a release directory is complete or absent.
    const staging = path.join(releases, `.staging-${randomUUID()}`);
    await fs.cp(source, staging, { recursive: true, verbatimSymlinks: true });
    if (job.signal.aborted) {
      await fs.rm(staging, { recursive: true, force: true });
      throw abortFailure(job);
    }
    await fs.rm(release, { recursive: true, force: true }); // a retry of the same execution redeploys
    await fs.rename(staging, release);
    const now = new Date();
    await fs.utimes(release, now, now);
    await switchCurrent(target, path.join('releases', releaseId));
    const removed = await pruneReleases(releases, keep, releaseId);
    job.log(`deployed release ${releaseId} to ${target}${removed.length ? `; removed ${removed.join(', ')}` : ''}\n`);
    return succeeded({ outputDirs: {}, outputVariables: { ReleaseId: releaseId, ReleaseDirectory: release }, summary: `Deployed release ${releaseId} to ${target}` });
  }
}

async function runDeployCommand(job: JobContext, command: string, source: string, target: string): Promise<JobOutcome> {
  const log = new LineLog(job.log);
  await fs.mkdir(target, { recursive: true });
  const env = { ...(await jobEnvironment(job)), PIPEWRIGHT_TARGET_DIRECTORY: target };
  const { result } = await runBash(job, [command], { cwd: source, env, log });
  if (result.exitCode !== 0) throw exitFailure(job, 'DeployCommand', result, log);
  return succeeded({ outputDirs: {}, outputVariables: {}, summary: `Ran DeployCommand for ${target}` });
}

function releaseName(job: JobContext): string {
  const id = job.pipelineContext.pipelineExecutionId.replace(/[^A-Za-z0-9._-]/g, '_');
  return id && !id.startsWith('.') ? id : new Date().toISOString().replace(/[:.]/g, '-');
}

/** A new symlink renamed over `current`: rename(2) replaces it atomically. */
async function switchCurrent(target: string, relativeRelease: string): Promise<void> {
  const current = path.join(target, 'current');
  const stat = await fs.lstat(current).catch(() => undefined);
  if (stat && !stat.isSymbolicLink()) throw configurationError(`${current} exists and is not a symlink; move it away to deploy here`);
  const next = path.join(target, `.current-${randomUUID()}`);
  await fs.symlink(relativeRelease, next);
  await fs.rename(next, current);
}

async function pruneReleases(releases: string, keep: number, currentId: string): Promise<string[]> {
  const entries = await fs.readdir(releases, { withFileTypes: true });
  const dated = await Promise.all(
    entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map(async (entry) => ({ name: entry.name, mtime: (await fs.stat(path.join(releases, entry.name))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? 1 : -1));
  const stale = dated.slice(keep).filter((release) => release.name !== currentId);
  for (const release of stale) await fs.rm(path.join(releases, release.name), { recursive: true, force: true });
  return stale.map((release) => release.name);
}
