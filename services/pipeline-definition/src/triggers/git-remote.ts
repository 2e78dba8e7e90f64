import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface RemoteRefs {
  /** Full ref name → commit (tags peeled to the commit they name). */
  refs: Map<string, string>;
  defaultBranch?: string;
}

export class GitCommandFailed extends Error {}

/** A repository URL fit for logs: credentials in it (https://user:token@host/…) are masked. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/**
 * The git CLI on remote repositories (URLs or local paths): spawned without a shell, never
 * prompting, limited to ordinary transports. Fetches go to a bare cache repository per remote.
 */
export class GitRemote {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly cacheRoot: string,
    private readonly timeoutMs = 120_000,
  ) {}

  private run(args: string[], cwd?: string): Promise<string> {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_PROTOCOL_FROM_USER: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh', LANG: 'C' };
    return new Promise((resolve, reject) =>
      execFile('git', args, { cwd, env, signal: this.abort.signal, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
        if (error) reject(new GitCommandFailed(redactUrl(`git ${args[0]} failed: ${String(stderr || error.message).trim().split('\n').slice(-3).join(' ')}`)));
        else resolve(stdout);
      }),
    );
  }

  /** Stops every running git command (on shutdown: a slow remote must not hold the process). */
  cancel(): void {
    this.abort.abort();
  }

  async listRefs(repository: string): Promise<RemoteRefs> {
    const out = await this.run(['ls-remote', '--symref', '--', repository]);
    const refs = new Map<string, string>();
    let defaultBranch: string | undefined;
    for (const line of out.split('\n')) {
      const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
      if (symref) defaultBranch = symref[1];
      const [commit, ref] = line.split('\t');
      if (!ref || !/^[0-9a-f]{40,64}$/.test(commit) || !/^refs\/(heads|tags)\//.test(ref)) continue;
      // An annotated tag is listed twice; the peeled line (^{}) names its commit.
      if (ref.endsWith('^{}')) refs.set(ref.slice(0, -3), commit);
      else if (!refs.has(ref)) refs.set(ref, commit);
    }
    return { refs, defaultBranch };
  }

  /** Files changed between two commits (or by `after` alone when `before` is unknown), fetched into the cache. */
  changedFiles(repository: string, before: string | undefined, after: string): Promise<string[]> {
    const dir = join(this.cacheRoot, `${createHash('sha256').update(repository).digest('hex').slice(0, 24)}.git`);
    return this.exclusive(dir, async () => {
      if (!existsSync(join(dir, 'HEAD'))) {
        await mkdir(dir, { recursive: true });
        await this.run(['init', '--quiet', '--bare', dir]);
      }
      await this.run(['fetch', '--quiet', '--force', '--', repository, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], dir);
      const known = before !== undefined && (await this.run(['cat-file', '-e', `${before}^{commit}`], dir).then(() => true, () => false));
      const out = known
        ? await this.run(['diff', '--name-only', '--no-renames', before, after, '--'], dir)
        : await this.run(['diff-tree', '--no-commit-id', '--name-only', '--no-renames', '-r', '--root', after, '--'], dir);
      return out.split('\n').filter(Boolean);
    });
  }

  /** One git command at a time per cache repository: concurrent fetches would fight over its locks. */
  private exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }
}
