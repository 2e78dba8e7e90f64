import { Identity, JobGrant, rejected, TokenVerdict } from './identity';
import { isJwt, signJwt, verifyJwt } from './jwt';

/** Job tokens: `pwj_<JWT>`, HS256 over PIPEWRIGHT_JOB_TOKEN_SECRET, minted by the orchestrator per job. */
export const jobTokenPrefix = 'pwj_';
const jobTokenIssuer = 'pipewright:orchestrator';
const jobTokenAudience = 'pipewright:job';

export const isJobToken = (token: string): boolean => token.startsWith(jobTokenPrefix) && isJwt(token.slice(jobTokenPrefix.length));

export const jobSubject = (jobId: string) => `job:${jobId}`;

/** A token for one job; it expires with the job's timeout (plus the margin the caller adds). */
export function signJobToken(grant: JobGrant, secret: Buffer, expires: Date, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const claims = {
    iss: jobTokenIssuer,
    aud: jobTokenAudience,
    sub: jobSubject(grant.jobId),
    pipewright_kind: 'job',
    pipewright_job: { ...grant },
    iat,
    exp: Math.max(iat + 1, Math.floor(expires.getTime() / 1000)),
  };
  return `${jobTokenPrefix}${signJwt(claims, { alg: 'HS256', secret })}`;
}

function isGrant(value: unknown): value is JobGrant {
  const g = value as Partial<Record<keyof JobGrant, unknown>> | undefined;
  return !!g && (['jobId', 'nonce', 'pipeline', 'executionId'] as const).every((k) => typeof g[k] === 'string' && g[k] !== '');
}

/** Verifies a job token: signature, issuer, audience, expiry, and that it names one job completely. */
export function verifyJobToken(token: string, secret: Buffer | undefined, now: Date = new Date()): TokenVerdict {
  if (!secret) return rejected('unknown-key', 'job tokens are not accepted here: no PIPEWRIGHT_JOB_TOKEN_SECRET is configured');
  if (!isJobToken(token)) return rejected('malformed', 'the bearer token is not a Pipewright job token');
  const verdict = verifyJwt(token.slice(jobTokenPrefix.length), { issuer: jobTokenIssuer, audience: jobTokenAudience, keys: [{ alg: 'HS256', secret }], clockToleranceSeconds: 5 }, now);
  if (!verdict.ok) return verdict;
  const grant = verdict.claims?.pipewright_job;
  if (verdict.identity.kind !== 'job' || !isGrant(grant) || verdict.identity.subject !== jobSubject(grant.jobId)) {
    return rejected('malformed', 'the job token does not name one job (job id, nonce, pipeline, execution)');
  }
  const identity: Identity = { kind: 'job', subject: verdict.identity.subject, job: { jobId: grant.jobId, nonce: grant.nonce, pipeline: grant.pipeline, executionId: grant.executionId } };
  return { ok: true, identity, expires: verdict.expires };
}
