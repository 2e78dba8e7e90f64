import { createHmac } from 'node:crypto';
import { GitPush, gitHostOf, parsePush } from '../src/triggers/git-push';
import { ruleMatches } from '../src/triggers/json-path';
import { pushMatches, PushRule, triggerSources } from '../src/triggers/trigger-filters';
import { verifyDelivery } from '../src/triggers/webhook-signature';
import { redactUrl } from '../src/triggers/git-remote';

const branch = (name: string, changedFiles?: string[]) => ({ kind: 'branch' as const, name, changedFiles });
const tag = (name: string) => ({ kind: 'tag' as const, name });

describe('trigger filters (CodePipeline push filter semantics)', () => {
  const filters: PushRule = {
    kind: 'filters',
    filters: [{ branches: { includes: ['main', 'release/**'], excludes: ['release/old*'] }, filePaths: { includes: ['src/**'], excludes: ['src/**/*.md'] } }, { tags: { includes: ['v*'], excludes: ['v0.*'] } }],
  };

  it('matches a branch in includes with a changed file in filePaths', () => expect(pushMatches(filters, branch('main', ['src/app.ts']))).toBe(true));
  it('matches a glob across directories', () => expect(pushMatches(filters, branch('release/2025/1', ['src/a/b.ts']))).toBe(true));
  it('refuses a branch that an exclude names', () => expect(pushMatches(filters, branch('release/old-1', ['src/app.ts']))).toBe(false));
  it('refuses a branch no include names', () => expect(pushMatches(filters, branch('feature', ['src/app.ts']))).toBe(false));
  it('refuses a push whose only files are outside filePaths', () => expect(pushMatches(filters, branch('main', ['docs/readme.md', 'README.md']))).toBe(false));
  it('refuses a push whose only files in filePaths are excluded', () => expect(pushMatches(filters, branch('main', ['src/notes.md']))).toBe(false));
  it('asks for the changed files when only they can decide', () => expect(pushMatches(filters, branch('main'))).toBe('needs-files'));
  it('does not ask for files when the branch already fails', () => expect(pushMatches(filters, branch('feature'))).toBe(false));
  it('matches tags only through a tag filter', () => {
    expect(pushMatches(filters, tag('v1.2.0'))).toBe(true);
    expect(pushMatches(filters, tag('v0.9'))).toBe(false);
    expect(pushMatches({ kind: 'filters', filters: [{ branches: { includes: ['**'] } }] }, tag('v1'))).toBe(false);
  });
  it('with no trigger, every push to the configured branch and nothing else', () => {
    expect(pushMatches({ kind: 'branch', branch: 'main' }, branch('main', []))).toBe(true);
    expect(pushMatches({ kind: 'branch', branch: 'main' }, branch('develop'))).toBe(false);
    expect(pushMatches({ kind: 'branch', branch: 'main' }, tag('main'))).toBe(false);
  });
  it('with no configured branch, the repository default branch', () => {
    expect(pushMatches({ kind: 'branch' }, { ...branch('trunk'), defaultBranch: 'trunk' })).toBe(true);
    expect(pushMatches({ kind: 'branch' }, branch('trunk'))).toBe(false);
  });
  it('a trigger with pull-request filters only starts nothing on push', () => expect(pushMatches({ kind: 'none' }, branch('main', ['src/a']))).toBe(false));

  it('reads each source action rule from the declaration', () => {
    const source = (name: string, configuration: Record<string, string>) => ({ name, actionTypeId: { category: 'Source' as const, owner: 'Pipewright' as const, provider: 'Git', version: '1' }, configuration });
    const declaration = {
      name: 'p',
      pipelineType: 'V2' as const,
      stages: [{ name: 'Source', actions: [source('A', { RepositoryUrl: '/r', Branch: 'dev' }), source('B', { RepositoryUrl: '/r' }), source('C', { RepositoryUrl: '/r' })] }],
      triggers: [
        { providerType: 'CodeStarSourceConnection' as const, gitConfiguration: { sourceActionName: 'B', push: [{ branches: { includes: ['x'] } }] } },
        { providerType: 'CodeStarSourceConnection' as const, gitConfiguration: { sourceActionName: 'C', pullRequest: [{ events: ['OPEN' as const] }] } },
      ],
    };
    expect(triggerSources(declaration).map((s) => [s.action.name, s.rule])).toEqual([
      ['A', { kind: 'branch', branch: 'dev' }],
      ['B', { kind: 'filters', filters: [{ branches: { includes: ['x'] } }] }],
      ['C', { kind: 'none' }],
    ]);
    // Triggers are a V2 feature: on V1 they are not read.
    expect(triggerSources({ ...declaration, pipelineType: 'V1' })[1].rule).toEqual({ kind: 'branch', branch: undefined });
  });
});

describe('push payloads', () => {
  const sha = (c: string) => c.repeat(40);

  it('reads a GitHub push with its changed files', () => {
    const push = parsePush('GitHub', {
      ref: 'refs/heads/main',
      before: sha('a'),
      after: sha('b'),
      commits: [{ added: ['src/new.ts'], modified: ['README.md'], removed: [] }, { added: [], modified: ['src/new.ts'], removed: ['old.txt'] }],
      repository: { default_branch: 'main' },
    });
    expect(push).toEqual<GitPush>({ ref: 'refs/heads/main', kind: 'branch', name: 'main', commit: sha('b'), before: sha('a'), changedFiles: ['src/new.ts', 'README.md', 'old.txt'], defaultBranch: 'main' });
  });

  it('reads a new branch (before is zeros) and an annotated tag (the commit, not the tag object)', () => {
    expect(parsePush('Gitea', { ref: 'refs/heads/x', before: sha('0'), after: sha('c'), commits: [] })).toMatchObject({ before: undefined, commit: sha('c'), changedFiles: [] });
    expect(parsePush('GitHub', { ref: 'refs/tags/v1', before: sha('0'), after: sha('d'), head_commit: { id: sha('e') } })).toMatchObject({ kind: 'tag', name: 'v1', commit: sha('e') });
    expect(parsePush('GitLab', { object_kind: 'tag_push', ref: 'refs/tags/v1', before: sha('0'), after: sha('d'), checkout_sha: sha('e') })).toMatchObject({ kind: 'tag', commit: sha('e') });
  });

  it('leaves the changed files unknown when GitLab lists only part of the commits', () => {
    const push = parsePush('GitLab', { ref: 'refs/heads/main', before: sha('a'), after: sha('b'), total_commits_count: 25, commits: [{ added: ['a'] }], project: { default_branch: 'main' } });
    expect(push?.changedFiles).toBeUndefined();
    expect(push?.defaultBranch).toBe('main');
  });

  it('ignores a deleted ref and refuses a payload without ref or after', () => {
    expect(parsePush('GitHub', { ref: 'refs/heads/gone', before: sha('a'), after: sha('0'), deleted: true })).toBeUndefined();
    expect(() => parsePush('GitHub', { zen: 'hello' })).toThrow(/ref and after/);
    expect(() => parsePush('GitHub', { ref: 'refs/notes/x', after: sha('a') })).toThrow(/neither a branch nor a tag/);
  });

  it('tells the host from its event header (Gitea also sends X-GitHub-Event)', () => {
    expect(gitHostOf({ 'x-github-event': 'push', 'x-gitea-event': 'push', 'x-gitea-delivery': 'd1' })).toEqual({ host: 'Gitea', event: 'push', deliveryId: 'd1' });
    expect(gitHostOf({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u' })).toEqual({ host: 'GitLab', event: 'Push Hook', deliveryId: 'u' });
    expect(gitHostOf({ 'x-github-event': 'ping', 'x-github-delivery': 'g' })).toEqual({ host: 'GitHub', event: 'ping', deliveryId: 'g' });
    expect(gitHostOf({})).toBeUndefined();
  });
});

describe('delivery authentication', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const hmac = (secret: string) => createHmac('sha256', secret).update(body).digest('hex');
  const check = (host: 'GitHub' | 'GitLab' | 'Gitea', headers: Record<string, string>, secret = 's3cret') => verifyDelivery('GITHUB_HMAC', secret, '', { host, headers, body, remoteAddress: '127.0.0.1' }).ok;

  it('GitHub: X-Hub-Signature-256 is sha256= and the HMAC of the exact body', () => {
    expect(check('GitHub', { 'x-hub-signature-256': `sha256=${hmac('s3cret')}` })).toBe(true);
    expect(check('GitHub', { 'x-hub-signature-256': `sha256=${hmac('other')}` })).toBe(false);
    expect(check('GitHub', { 'x-hub-signature-256': hmac('s3cret') })).toBe(false);
    expect(check('GitHub', {})).toBe(false);
  });
  it('Gitea: X-Gitea-Signature is the hex HMAC', () => {
    expect(check('Gitea', { 'x-gitea-signature': hmac('s3cret') })).toBe(true);
    expect(check('Gitea', { 'x-gitea-signature': hmac('s3cret').slice(1) })).toBe(false);
  });
  it('GitLab: X-Gitlab-Token is the secret itself', () => {
    expect(check('GitLab', { 'x-gitlab-token': 's3cret' })).toBe(true);
    expect(check('GitLab', { 'x-gitlab-token': 's3cre' })).toBe(false);
    expect(check('GitLab', { 'x-hub-signature-256': `sha256=${hmac('s3cret')}` })).toBe(false);
  });
  it('IP: the sender must be inside the range; UNAUTHENTICATED takes anything', () => {
    const ip = (range: string, remoteAddress: string) => verifyDelivery('IP', '', range, { host: 'GitHub', headers: {}, body, remoteAddress }).ok;
    expect(ip('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(ip('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
    expect(ip('10.0.0.0/8', '192.168.0.1')).toBe(false);
    expect(ip('not a range', '10.1.2.3')).toBe(false);
    expect(verifyDelivery('UNAUTHENTICATED', '', '', { host: 'GitHub', headers: {}, body, remoteAddress: '1.2.3.4' }).ok).toBe(true);
  });
});

describe('webhook filter rules and logs', () => {
  const payload = { ref: 'refs/heads/main', commits: [{ author: { name: 'Ada' } }], repository: { 'full-name': 'acme/app' } };
  it('compares the value at a JSONPath, with {Name} taken from the action configuration', () => {
    expect(ruleMatches(payload, { jsonPath: '$.ref', matchEquals: 'refs/heads/{Branch}' }, { Branch: 'main' })).toBe(true);
    expect(ruleMatches(payload, { jsonPath: '$.ref', matchEquals: 'refs/heads/{Branch}' }, { Branch: 'dev' })).toBe(false);
    expect(ruleMatches(payload, { jsonPath: '$.commits[0].author.name', matchEquals: 'Ada' }, {})).toBe(true);
    expect(ruleMatches(payload, { jsonPath: "$.repository['full-name']", matchEquals: 'acme/app' }, {})).toBe(true);
    expect(ruleMatches(payload, { jsonPath: '$.missing.path', matchEquals: '' }, {})).toBe(false);
    expect(ruleMatches(payload, { jsonPath: 'ref', matchEquals: 'refs/heads/main' }, {})).toBe(false);
  });
  it('masks credentials in repository URLs', () => {
    expect(redactUrl('cannot read https://bot:ghp_abc@github.com/acme/app.git')).toBe('cannot read https://***@github.com/acme/app.git');
    expect(redactUrl('/srv/git/app.git')).toBe('/srv/git/app.git');
  });
});
