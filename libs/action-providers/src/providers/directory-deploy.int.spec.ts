import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { builtInProviders, runJob } from '../index';
import { makeJob, removeFixtures } from '../../test/job-fixture';

afterAll(removeFixtures);

describe('Deploy/Pipewright/Directory', () => {
  let target: string;
  beforeEach(async () => (target = path.join(await fs.mkdtemp(path.join(tmpdir(), 'pw-deploy-')), 'site')));
  afterEach(() => fs.rm(path.dirname(target), { recursive: true, force: true }));

  async function deploy(executionId: string, version: string, configuration: Record<string, string> = {}) {
    const job = await makeJob('Deploy/Pipewright/Directory', {
      inputArtifactNames: ['BuildOutput'],
      configuration: { TargetDirectory: target, KeepReleases: '3', ...configuration },
      pipelineContext: { pipelineName: 'web', stageName: 'Deploy', actionName: 'Site', pipelineExecutionId: executionId },
    });
    await fs.writeFile(path.join(job.workspaceDir, 'inputs', 'BuildOutput', 'version.txt'), version);
    return { job, outcome: await runJob(builtInProviders(), job) };
  }

  it('switches current to each new release with readers never seeing a missing or partial one, and keeps the newest N', async () => {
    let reads = 0;
    let readFailures = 0;
    let deploying = true;
    const reader = (async () => {
      while (deploying) {
        const version = await fs.readFile(path.join(target, 'current', 'version.txt'), 'utf8').catch(() => undefined);
        if (version !== undefined) reads += 1;
        else if (reads > 0) readFailures += 1; // once a release exists, current must always resolve
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 1; i <= 6; i++) {
      const { outcome } = await deploy(`exec-${i}`, `v${i}`);
      expect(outcome).toMatchObject({ status: 'Succeeded', outputVariables: { ReleaseId: `exec-${i}` } });
    }
    deploying = false;
    await reader;
    expect(readFailures).toBe(0);
    expect(await fs.readlink(path.join(target, 'current'))).toBe(path.join('releases', 'exec-6'));
    expect(await fs.readFile(path.join(target, 'current', 'version.txt'), 'utf8')).toBe('v6');
    expect((await fs.readdir(path.join(target, 'releases'))).sort()).toEqual(['exec-4', 'exec-5', 'exec-6']);
    expect((await fs.readdir(target)).sort()).toEqual(['current', 'releases']);
  });

  it('runs DeployCommand in the artifact directory and fails with its exit code', async () => {
    const ok = await deploy('exec-1', 'v1', { DeployCommand: 'cp version.txt "$PIPEWRIGHT_TARGET_DIRECTORY/deployed.txt"' });
    expect(ok.outcome.status).toBe('Succeeded');
    expect(await fs.readFile(path.join(target, 'deployed.txt'), 'utf8')).toBe('v1');
    const bad = await deploy('exec-2', 'v2', { DeployCommand: 'echo cannot reach host >&2; exit 7' });
    expect(bad.outcome).toMatchObject({ status: 'Failed', type: 'JobFailed', message: expect.stringMatching(/exit code 7[\s\S]*cannot reach host/) });
  });

  it('refuses a relative target and a bad KeepReleases', async () => {
    expect((await deploy('e', 'v', { TargetDirectory: 'relative/dir' })).outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError' });
    expect((await deploy('e', 'v', { KeepReleases: '0' })).outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError', message: expect.stringContaining('KeepReleases') });
  });
});
