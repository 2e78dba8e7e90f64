import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { builtInProviders, runJob } from '../index';
import { listTree, makeJob, makeRepository, removeFixtures } from '../../test/job-fixture';

describe('Source/Pipewright/Git', () => {
  let repo: Awaited<ReturnType<typeof makeRepository>>;
  beforeAll(async () => (repo = await makeRepository()));
  afterAll(removeFixtures);

  const source = (configuration: Record<string, string>, requestedRevision?: string) =>
    makeJob('Source/Pipewright/Git', { configuration, requestedRevision, outputArtifacts: [{ name: 'SourceOutput' }] });

  it('checks out the exact requested commit, older than HEAD, without .git, and sets the source variables', async () => {
    const job = await source({ RepositoryUrl: repo.dir, Branch: 'main' }, repo.first);
    const outcome = await runJob(builtInProviders(), job);
    expect(outcome).toMatchObject({
      status: 'Succeeded',
      outputVariables: { CommitId: repo.first, BranchName: 'main', CommitMessage: 'First version\n\nWith a body.', AuthorDisplayName: 'Ada Lovelace', RepositoryName: path.basename(repo.dir) },
      summary: 'First version',
    });
    if (outcome.status !== 'Succeeded') return;
    expect(outcome.outputVariables.CommitterDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    const tree = outcome.outputDirs.SourceOutput;
    expect(await listTree(tree)).toEqual(['app', 'app/version.txt']);
    expect(await fs.readFile(path.join(tree, 'app/version.txt'), 'utf8')).toBe('v1\n');
  });

  it('takes the head of the branch when no revision is asked for, and the default branch when none is configured', async () => {
    const onFeature = await runJob(builtInProviders(), await source({ RepositoryUrl: `file://${repo.dir}`, Branch: 'feature' }));
    expect(onFeature).toMatchObject({ status: 'Succeeded', outputVariables: { CommitId: repo.feature, BranchName: 'feature' } });
    const onDefault = await runJob(builtInProviders(), await source({ RepositoryUrl: repo.dir }));
    expect(onDefault).toMatchObject({ status: 'Succeeded', outputVariables: { CommitId: repo.head, BranchName: 'main' } });
  });

  it('uses the configured CommitId', async () => {
    const outcome = await runJob(builtInProviders(), await source({ RepositoryUrl: repo.dir, Branch: 'main', CommitId: repo.second }));
    expect(outcome).toMatchObject({ status: 'Succeeded', outputVariables: { CommitId: repo.second } });
  });

  it('fails with RevisionUnavailable for a commit the repository does not have', async () => {
    const outcome = await runJob(builtInProviders(), await source({ RepositoryUrl: repo.dir, Branch: 'main' }, 'deadbeef'.repeat(5)));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'RevisionUnavailable', message: expect.stringContaining('deadbeef') });
  });

  it('fails with RevisionUnavailable for a branch the repository does not have', async () => {
    const outcome = await runJob(builtInProviders(), await source({ RepositoryUrl: repo.dir, Branch: 'no-such-branch' }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'RevisionUnavailable', message: expect.stringContaining('no-such-branch') });
  });

  it.each([
    ['not a url', /neither a git URL/],
    ['ext::sh -c touch% /tmp/pwned', /neither a git URL/],
    ['--upload-pack=touch /tmp/pwned', /neither a git URL/],
    ['https://exa mple.com/repo.git', /not a valid URL/],
    ['/no/such/repository', /not an existing directory/],
  ])('refuses the repository %j with a ConfigurationError', async (url, message) => {
    const outcome = await runJob(builtInProviders(), await source({ RepositoryUrl: url }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError' });
    if (outcome.status === 'Failed') expect(outcome.message).toMatch(message);
  });

  it('reports a directory that is not a repository clearly', async () => {
    const outcome = await runJob(builtInProviders(), await source({ RepositoryUrl: `file://${path.dirname(repo.dir)}/pw-not-a-repo`, Branch: 'main' }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError', message: expect.stringContaining('cannot read repository') });
  });
});
