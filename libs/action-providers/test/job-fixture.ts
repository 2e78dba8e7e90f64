import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ActionCategory, ActionOwner } from '@pipewright/pipeline-model';
import type { JobContext } from '../src';

const created: string[] = [];

/** Removes every workspace and repository the fixtures made. */
export async function removeFixtures(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

export interface TestJob extends JobContext {
  readonly logged: () => string;
}

/** A job as the job-worker would hand it over: a fresh workspace, inputs under workspace/inputs/<name>/. */
export async function makeJob(type: string, overrides: Partial<Omit<JobContext, 'log' | 'actionTypeId'>> = {}): Promise<TestJob> {
  const [category, owner, provider] = type.split('/');
  const workspaceDir = overrides.workspaceDir ?? (await fs.mkdtemp(path.join(tmpdir(), 'pw-job-')));
  created.push(workspaceDir);
  let output = '';
  for (const name of overrides.inputArtifactNames ?? []) await fs.mkdir(path.join(workspaceDir, 'inputs', name), { recursive: true });
  return {
    jobId: 'job-1',
    actionTypeId: { category: category as ActionCategory, owner: owner as ActionOwner, provider, version: '1' },
    configuration: {},
    workspaceDir,
    inputArtifactNames: [],
    outputArtifacts: [],
    pipelineContext: { pipelineName: 'web', stageName: 'Build', actionName: 'Act', pipelineExecutionId: 'exec-1' },
    signal: new AbortController().signal,
    timeoutMillis: 60_000,
    ...overrides,
    log: (chunk: string) => void (output += chunk),
    logged: () => output,
  };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Ada Lovelace', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Lovelace', GIT_COMMITTER_EMAIL: 'ada@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
  }).trim();
}

/** A real repository: three commits on main and a feature branch; returns the commit ids. */
export async function makeRepository(): Promise<{ dir: string; first: string; second: string; head: string; feature: string }> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'pw-repo-'));
  created.push(dir);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  const commit = async (file: string, content: string, message: string) => {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), content);
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const first = await commit('app/version.txt', 'v1\n', 'First version\n\nWith a body.');
  await fs.writeFile(path.join(dir, 'buildspec.yml'), 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\n');
  const second = await commit('app/version.txt', 'v2\n', 'Second version');
  const head = await commit('README.md', 'readme\n', 'Add readme');
  git(dir, 'checkout', '--quiet', '-b', 'feature');
  const feature = await commit('feature.txt', 'feature\n', 'Feature work');
  git(dir, 'checkout', '--quiet', 'main');
  return { dir, first, second, head, feature };
}

export async function listTree(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}
