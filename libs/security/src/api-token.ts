import { createHash, randomBytes } from 'node:crypto';
import { Identity, rejected, TokenVerdict } from './identity';

/** Pipewright-issued API tokens: `pwt_<id>_<secret>`; only the SHA-256 of the whole token is kept. */
export const apiTokenPrefix = 'pwt_';

export interface IssuedApiToken {
  tokenId: string;
  token: string;
  hash: string;
}

export interface StoredApiToken {
  tokenId: string;
  identity: Identity;
  expires: Date;
  revoked: boolean;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function issueApiToken(): IssuedApiToken {
  const tokenId = randomBytes(8).toString('hex');
  const token = `${apiTokenPrefix}${tokenId}_${randomBytes(32).toString('base64url')}`;
  return { tokenId, token, hash: hashApiToken(token) };
}

export function isApiToken(token: string): boolean {
  return token.startsWith(apiTokenPrefix);
}

/** The verdict on a presented API token given what its hash found (or undefined: no such token). */
export function checkApiToken(stored: StoredApiToken | undefined, now: Date = new Date()): TokenVerdict {
  if (!stored) return rejected('unknown-token', 'the API token is not known');
  if (stored.revoked) return rejected('revoked', `the API token ${stored.tokenId} was revoked`);
  if (stored.expires.getTime() <= now.getTime()) return rejected('expired', `the API token ${stored.tokenId} expired at ${stored.expires.toISOString()}`);
  return { ok: true, identity: stored.identity, expires: stored.expires };
}
