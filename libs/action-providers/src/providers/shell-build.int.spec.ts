import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtInProviders, isProcessRunning, runJob, type JobOutcome } from '../index';
import { listTree, makeJob, makeRepository, removeFixtures } from '../../test/job-fixture';

afterAll(removeFixtures);

/** A Shell job whose primary input holds `files`. */
async function shellJob(files: Record<string, string>, overrides: Parameters<typeof makeJob>[1] = {}) {
  const job = await makeJob('Build/Pipewright/Shell', { inputArtifactNames: ['SourceOutput'], ...overrides });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(job.workspaceDir, 'inputs', 'SourceOutput', name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  return job;
}

const failed = (outcome: JobOutcome) => (outcome.status === 'Failed' ? outcome : (() => { throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`); })());

/** Pids a script recorded, once it recorded `count` of them. */
async function recordedPids(file: string, count: number): Promise<number[]> {
  for (;;) {
    const pids = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    if (pids.length >= count) return pids;
    await sleep(20);
  }
}

// A shell that starts a background subshell which starts its own sleep: children and grandchildren.
const SPAWN_TREE = ['(sleep 300 & echo $! >> "$PIDS"; wait) &', 'echo $! >> "$PIDS"', 'echo $$ >> "$PIDS"', 'sleep 300'];

describe('Build|Test/Pipewright/Shell', () => {
  it('builds a git checkout into an output artifact with globbed files and exports a variable', async () => {
    const repo = await makeRepository();
    const sourceJob = await makeJob('Source/Pipewright/Git', { configuration: { RepositoryUrl: repo.dir, Branch: 'main' }, outputArtifacts: [{ name: 'SourceOutput' }] });
    const source = await runJob(builtInProviders(), sourceJob);
    if (source.status !== 'Succeeded') throw new Error(JSON.stringify(source));

    const job = await makeJob('Build/Pipewright/Shell', { inputArtifactNames: ['SourceOutput'], outputArtifacts: [{ name: 'BuildOutput' }], configuration: { BuildSpec: 'ci/build.yml' } });
    await fs.cp(source.outputDirs.SourceOutput, path.join(job.workspaceDir, 'inputs', 'SourceOutput'), { recursive: true });
    await fs.mkdir(path.join(job.workspaceDir, 'inputs', 'SourceOutput', 'ci'));
    await fs.writeFile(
      path.join(job.workspaceDir, 'inputs', 'SourceOutput', 'ci', 'build.yml'),
      [
        'version: 0.2',
        'env:',
        '  variables:',
        '    TARGET: dist',
        '  exported-variables:',
        '    - APP_VERSION',
        '    - BUILT_FROM',
        'phases:',
        '  install:',
        '    commands:',
        '      - export APP_VERSION=$(cat app/version.txt)',
        '  build:',
        '    commands:',
        '      - mkdir -p $TARGET/js $TARGET/maps',
        '      - echo "bundle $APP_VERSION" > $TARGET/js/app.js',
        '      - echo map > $TARGET/maps/app.js.map',
        '      - echo notes > $TARGET/NOTES.txt',
        '      - BUILT_FROM=$(basename "$CODEBUILD_SRC_DIR")',
        'artifacts:',
        '  base-directory: dist',
        '  files:',
        "    - 'js/**/*'",
        "    - '*.txt'",
      ].join('\n'),
    );
    const outcome = await runJob(builtInProviders(), job);
    expect(outcome).toMatchObject({ status: 'Succeeded', outputVariables: { APP_VERSION: 'v2', BUILT_FROM: 'SourceOutput' } });
    if (outcome.status !== 'Succeeded') return;
    expect(await listTree(outcome.outputDirs.BuildOutput)).toEqual(['NOTES.txt', 'js', 'js/app.js']);
    expect(await fs.readFile(path.join(outcome.outputDirs.BuildOutput, 'js/app.js'), 'utf8')).toBe('bundle v2\n');
    expect(job.logged()).toContain('[pipewright] phase BUILD');
  });

  it('fails with the exit code and the tail of the log when a command fails', async () => {
    const commands = ['for i in $(seq 1 40); do echo "line $i"; done', 'echo "about to fail" >&2', 'exit 3', 'echo never'].join('\n');
    const job = await shellJob({}, { configuration: { Commands: commands } });
    const outcome = failed(await runJob(builtInProviders(), job));
    expect(outcome.type).toBe('JobFailed');
    expect(outcome.message).toContain('exit code 3');
    expect(outcome.message).toContain('about to fail');
    expect(outcome.message).toContain('line 40');
    expect(outcome.message).not.toContain('line 5\n');
    expect(job.logged()).not.toContain('never');
  });

  it('kills the whole process tree when the job times out', async () => {
    const job = await shellJob({}, { configuration: { Commands: SPAWN_TREE.join('\n') }, timeoutMillis: 1500 });
    const pidsFile = path.join(job.workspaceDir, 'inputs', 'SourceOutput', 'pids');
    const outcome = failed(await runJob(builtInProviders(), { ...job, configuration: { Commands: `export PIDS=${pidsFile}\n${job.configuration.Commands}` } }));
    expect(outcome.message).toMatch(/timed out/);
    const pids = await recordedPids(pidsFile, 3);
    for (const pid of pids) expect(await isProcessRunning(pid)).toBe(false);
  }, 30_000);

  it('kills the whole process tree when the job is stopped', async () => {
    const stop = new AbortController();
    const job = await shellJob({}, { signal: stop.signal });
    const pidsFile = path.join(job.workspaceDir, 'pids');
    const running = runJob(builtInProviders(), { ...job, configuration: { Commands: [`export PIDS=${pidsFile}`, ...SPAWN_TREE].join('\n') } });
    const pids = await recordedPids(pidsFile, 3);
    for (const pid of pids) expect(await isProcessRunning(pid)).toBe(true);
    stop.abort();
    const outcome = failed(await running);
    expect(outcome.message).toMatch(/stopped/);
    for (const pid of pids) expect(await isProcessRunning(pid)).toBe(false);
  }, 30_000);

  it('leaves no background process behind a phase that succeeded', async () => {
    const job = await shellJob({}, { configuration: { Commands: 'sleep 300 &\necho $! > bg.pid' } });
    const outcome = await runJob(builtInProviders(), job);
    expect(outcome.status).toBe('Succeeded');
    const pid = Number(await fs.readFile(path.join(job.workspaceDir, 'inputs', 'SourceOutput', 'bg.pid'), 'utf8'));
    expect(await isProcessRunning(pid)).toBe(false);
  });

  it('refuses a build spec with an unknown phase, naming it', async () => {
    const job = await shellJob({ 'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n  deploy_everything:\n    commands: [echo no]\n' });
    const outcome = failed(await runJob(builtInProviders(), job));
    expect(outcome.type).toBe('ConfigurationError');
    expect(outcome.message).toContain('deploy_everything');
  });

  it('refuses a missing build spec file', async () => {
    const outcome = failed(await runJob(builtInProviders(), await shellJob({})));
    expect(outcome).toMatchObject({ type: 'ConfigurationError', message: expect.stringContaining('buildspec.yml not found') });
  });

  it('still runs post_build after a failed build, as CodeBuild does, and fails the job', async () => {
    const spec = 'phases:\n  build:\n    commands: ["false"]\n  post_build:\n    commands: ["echo post_build sees $CODEBUILD_BUILD_SUCCEEDING"]\n';
    const job = await shellJob({ 'buildspec.yml': spec });
    const outcome = failed(await runJob(builtInProviders(), job));
    expect(outcome.message).toContain('phase BUILD failed with exit code 1');
    expect(job.logged()).toContain('post_build sees 0');
  });

  it('runs Compute/AWS/Commands with its commands, output files and output variables', async () => {
    const job = await makeJob('Compute/AWS/Commands', {
      inputArtifactNames: ['SourceOutput'],
      commands: ['mkdir -p out', 'echo result > out/result.txt', 'echo skip > skip.log', 'export RESULT=ok'],
      outputVariableNames: ['RESULT'],
      outputArtifacts: [{ name: 'Out', files: ['out/**'] }],
    });
    const outcome = await runJob(builtInProviders(), job);
    expect(outcome).toMatchObject({ status: 'Succeeded', outputVariables: { RESULT: 'ok' } });
    if (outcome.status === 'Succeeded') expect(await listTree(outcome.outputDirs.Out)).toEqual(['out', 'out/result.txt']);
  });
});
