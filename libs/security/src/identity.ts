/** Who calls: a person, a service account, or a job worker acting for one job. */
export type IdentityKind = 'user' | 'service-account' | 'job';

export interface Identity {
  kind: IdentityKind;
  subject: string;
  /** A job identity's grant: the one job (and nonce) its token was minted for. */
  job?: JobGrant;
}

/** What a job token lets its holder act for: one attempt of one action, known by its job id and nonce. */
export interface JobGrant {
  jobId: string;
  nonce: string;
  pipeline: string;
  executionId: string;
}

export const identityKinds: readonly IdentityKind[] = ['user', 'service-account', 'job'];

export function isIdentityKind(value: unknown): value is IdentityKind {
  return typeof value === 'string' && (identityKinds as readonly string[]).includes(value);
}

/** Why a bearer token was not accepted; the message is safe to show the caller. */
export interface TokenRejected {
  ok: false;
  reason: 'missing' | 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'wrong-issuer' | 'wrong-audience' | 'revoked' | 'unknown-token';
  message: string;
}

export type TokenVerdict = { ok: true; identity: Identity; expires?: Date } | TokenRejected;

export const rejected = (reason: TokenRejected['reason'], message: string): TokenRejected => ({ ok: false, reason, message });

/** The bearer token of an `authorization` header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
