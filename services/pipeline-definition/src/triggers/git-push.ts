import { InvalidWebhookPayload } from './errors';

/** The git hosts whose push webhooks Pipewright reads. */
export type GitHost = 'GitHub' | 'GitLab' | 'Gitea';

/** One ref update, from a webhook payload or from comparing two `git ls-remote` listings. */
export interface GitPush {
  /** The full ref: refs/heads/main, refs/tags/v1.2. */
  ref: string;
  kind: 'branch' | 'tag';
  /** The branch or tag name without its refs/… prefix. */
  name: string;
  /** The commit the ref now points at. */
  commit: string;
  /** Files the pushed commits touched; undefined when the source does not say (then git is asked). */
  changedFiles?: string[];
  /** The previous commit of the ref, when it had one. */
  before?: string;
  /** The repository's default branch, when the payload names it. */
  defaultBranch?: string;
}

const ZERO = /^0+$/;

export function refPush(ref: string, commit: string, before?: string): Omit<GitPush, 'changedFiles' | 'defaultBranch'> | undefined {
  const branch = /^refs\/heads\/(.+)$/.exec(ref);
  const tag = /^refs\/tags\/(.+)$/.exec(ref);
  if (!branch && !tag) return undefined;
  return { ref, kind: branch ? 'branch' : 'tag', name: (branch ?? tag)![1], commit, before: before && !ZERO.test(before) ? before : undefined };
}

/** The event header each host sends; Gitea also sends X-GitHub-Event, so it is asked first. */
export function gitHostOf(headers: Record<string, string | undefined>): { host: GitHost; event: string; deliveryId: string } | undefined {
  if (headers['x-gitea-event']) return { host: 'Gitea', event: headers['x-gitea-event'], deliveryId: headers['x-gitea-delivery'] ?? '' };
  if (headers['x-gitlab-event']) return { host: 'GitLab', event: headers['x-gitlab-event'], deliveryId: headers['x-gitlab-event-uuid'] ?? headers['idempotency-key'] ?? '' };
  if (headers['x-github-event']) return { host: 'GitHub', event: headers['x-github-event'], deliveryId: headers['x-github-delivery'] ?? '' };
  return undefined;
}

/** True for the events that announce a push; anything else (ping, issues …) is acknowledged and ignored. */
export function isPushEvent(host: GitHost, event: string): boolean {
  return host === 'GitLab' ? event === 'Push Hook' || event === 'Tag Push Hook' : event === 'push';
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/**
 * A push payload as GitHub, Gitea (GitHub's shape) and GitLab send it; undefined for a deleted ref,
 * which starts nothing.
 */
export function parsePush(host: GitHost, payload: unknown): GitPush | undefined {
  const body = obj(payload);
  const ref = str(body.ref);
  const after = str(body.after);
  if (!ref || !after) throw new InvalidWebhookPayload('a push payload needs ref and after');
  if (ZERO.test(after) || body.deleted === true) return undefined;
  const commits = Array.isArray(body.commits) ? body.commits.map(obj) : undefined;
  const head = obj(body.head_commit);
  // A tag push names the tag object in `after` when the tag is annotated; the commit is elsewhere.
  const commit = host === 'GitLab' ? (str(body.checkout_sha) ?? after) : (str(head.id) ?? after);
  const parsed = refPush(ref, ref.startsWith('refs/tags/') ? commit : after, str(body.before));
  if (!parsed) throw new InvalidWebhookPayload(`ref ${ref} is neither a branch nor a tag`);
  const total = typeof body.total_commits_count === 'number' ? body.total_commits_count : undefined;
  // GitLab lists at most 20 commits; a partial list cannot decide a file-path filter.
  const complete = commits !== undefined && (total === undefined || total <= commits.length);
  const changedFiles = complete ? [...new Set(commits.flatMap((c) => ['added', 'modified', 'removed'].flatMap((k) => (Array.isArray(c[k]) ? (c[k] as unknown[]).filter((f): f is string => typeof f === 'string') : []))))] : undefined;
  const repository = obj(host === 'GitLab' ? body.project : body.repository);
  return { ...parsed, changedFiles, defaultBranch: str(repository.default_branch) };
}
