import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ZERO_SHA = '0'.repeat(40);
export type Host = 'GitHub' | 'GitLab' | 'Gitea';

/** A real git repository in a temp directory, for tests to commit to and to build push payloads from. */
export class TestRepo {
  private constructor(readonly dir: string) {}

  static create(): TestRepo {
    const repo = new TestRepo(mkdtempSync(join(tmpdir(), 'pipewright-trigger-repo-')));
    repo.git('init', '--quiet', '--initial-branch=main');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: this.dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: this.dir, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
  }

  /** Writes the files on the current branch and commits them; returns the commit id. */
  commit(files: Record<string, string>, message = 'change'): string {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
    }
    this.git('add', '--all');
    this.git('commit', '--quiet', '-m', message);
    return this.head();
  }

  /** Switches to the branch, creating it from the current commit when new. */
  checkout(branch: string): void {
    const exists = this.git('branch', '--list', branch) !== '';
    this.git('checkout', '--quiet', ...(exists ? [branch] : ['-b', branch]));
  }

  head(ref = 'HEAD'): string {
    return this.git('rev-parse', `${ref}^{commit}`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The commits `before..after` with the files each added, modified and removed, as push payloads list them. */
  private commits(before: string, after: string) {
    const ids = this.git('rev-list', '--reverse', before === ZERO_SHA ? after : `${before}..${after}`).split('\n').filter(Boolean);
    return ids.map((id) => {
      const changes = this.git('diff-tree', '--no-commit-id', '--name-status', '--no-renames', '-r', '--root', id).split('\n').filter(Boolean).map((line) => line.split('\t'));
      const files = (status: string) => changes.filter(([s]) => s === status).map(([, f]) => f);
      return { id, message: this.git('log', '-1', '--format=%B', id), added: files('A'), modified: files('M'), removed: files('D') };
    });
  }

  /** A push event payload in the host's own format, made from this repository's real commits. */
  pushPayload(host: Host, ref: string, before: string, after: string): Record<string, unknown> {
    const commits = this.commits(before, after);
    if (host === 'GitLab') {
      return {
        object_kind: ref.startsWith('refs/tags/') ? 'tag_push' : 'push',
        ref,
        before,
        after,
        checkout_sha: after,
        total_commits_count: commits.length,
        commits: commits.map((c) => ({ ...c, author: { name: 'Ada Lovelace', email: 'ada@example.com' } })),
        project: { name: 'app', default_branch: 'main', git_http_url: this.dir },
      };
    }
    return {
      ref,
      before,
      after,
      created: before === ZERO_SHA,
      deleted: false,
      commits,
      head_commit: commits[commits.length - 1] ?? { id: after },
      repository: { name: 'app', default_branch: 'main', clone_url: this.dir },
      ...(host === 'Gitea' ? { total_commits: commits.length } : {}),
    };
  }
}

/** The headers a host sends with a push, signed with `secret` the host's way. */
export function pushHeaders(host: Host, body: string, secret: string, deliveryId: string = randomUUID()): Record<string, string> {
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const json = { 'content-type': 'application/json' };
  switch (host) {
    case 'GitHub':
      return { ...json, 'x-github-event': 'push', 'x-github-delivery': deliveryId, 'x-hub-signature-256': `sha256=${hmac}` };
    case 'Gitea':
      return { ...json, 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitea-delivery': deliveryId, 'x-gitea-signature': hmac };
    case 'GitLab':
      return { ...json, 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': deliveryId, 'x-gitlab-token': secret };
  }
}
