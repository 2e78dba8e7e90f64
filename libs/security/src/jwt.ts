import { createHmac, createPublicKey, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Identity, isIdentityKind, rejected, TokenVerdict } from './identity';

/** A key that may sign tokens: an HS256 shared secret, or an RS256/ES256 public key. */
export type VerificationKey = { alg: 'HS256'; kid?: string; secret: Buffer } | { alg: 'RS256' | 'ES256'; kid?: string; key: KeyObject };

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  keys: readonly VerificationKey[];
  /** Seconds of clock difference tolerated on exp and nbf. */
  clockToleranceSeconds?: number;
}

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  /** Pipewright's claim for the identity kind (user when absent). */
  pipewright_kind?: string;
  [claim: string]: unknown;
}

const looksLikeJwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function isJwt(token: string): boolean {
  return looksLikeJwt.test(token);
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function signatureValid(key: VerificationKey, signingInput: string, signature: Buffer): boolean {
  if (key.alg === 'HS256') {
    const expected = createHmac('sha256', key.secret).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  // ES256 signatures are the raw r||s pair (JWS), not DER.
  const keyInput = key.alg === 'ES256' ? { key: key.key, dsaEncoding: 'ieee-p1363' as const } : key.key;
  try {
    return verify('sha256', Buffer.from(signingInput), keyInput, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies a compact JWS from the configured issuer: the algorithm must be one a configured key has
 * (never `none`, never a public key used as an HMAC secret), then signature, iss, aud, exp and nbf.
 */
export function verifyJwt(token: string, options: JwtVerifierOptions, now: Date = new Date()): TokenVerdict & { claims?: JwtClaims } {
  const parts = token.split('.');
  if (parts.length !== 3 || !isJwt(token)) return rejected('malformed', 'the bearer token is not a JWT');
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]) as JwtClaims | undefined;
  if (!header || !claims) return rejected('malformed', 'the bearer token is not a JWT (header or claims are not JSON objects)');
  const alg = header.alg;
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = options.keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === undefined || k.kid === kid));
  if (candidates.length === 0) return rejected('unknown-key', `the token's signing key (alg ${String(alg)}${kid ? `, kid ${kid}` : ''}) is not one this server trusts`);
  const signature = Buffer.from(parts[2], 'base64url');
  const signingInput = `${parts[0]}.${parts[1]}`;
  if (!candidates.some((k) => signatureValid(k, signingInput, signature))) return rejected('bad-signature', 'the token signature is invalid');
  if (claims.iss !== options.issuer) return rejected('wrong-issuer', `the token issuer "${String(claims.iss)}" is not the configured issuer`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(options.audience)) return rejected('wrong-audience', `the token is not meant for audience "${options.audience}"`);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const seconds = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp !== 'number') return rejected('malformed', 'the token has no exp claim');
  if (seconds - tolerance >= claims.exp) return rejected('expired', `the token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  if (typeof claims.nbf === 'number' && seconds + tolerance < claims.nbf) return rejected('not-yet-valid', `the token is not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
  if (typeof claims.sub !== 'string' || claims.sub === '') return rejected('malformed', 'the token has no sub claim');
  const kind = claims.pipewright_kind ?? 'user';
  if (!isIdentityKind(kind)) return rejected('malformed', `the token's pipewright_kind "${String(kind)}" is not user, service-account or job`);
  const identity: Identity = { kind, subject: claims.sub };
  return { ok: true, identity, expires: new Date(claims.exp * 1000), claims };
}

/** Public keys of a JWKS document (RSA → RS256, EC P-256 → ES256); other keys are skipped. */
export function keysFromJwks(jwks: { keys?: unknown[] }): VerificationKey[] {
  const keys: VerificationKey[] = [];
  for (const jwk of jwks.keys ?? []) {
    const k = jwk as { kty?: string; crv?: string; kid?: string; alg?: string; use?: string };
    if (k.use && k.use !== 'sig') continue;
    if (k.kty === 'RSA') keys.push({ alg: 'RS256', kid: k.kid, key: createPublicKey({ key: k as any, format: 'jwk' }) });
    else if (k.kty === 'EC' && k.crv === 'P-256') keys.push({ alg: 'ES256', kid: k.kid, key: createPublicKey({ key: k as any, format: 'jwk' }) });
  }
  return keys;
}

export function keysFromJwksFile(path: string): VerificationKey[] {
  return keysFromJwks(JSON.parse(readFileSync(path, 'utf8')));
}

/** A PEM public key; its algorithm follows from its type (RSA → RS256, EC → ES256). */
export function keyFromPem(pem: string, kid?: string): VerificationKey {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', kid, key };
  if (key.asymmetricKeyType === 'ec') return { alg: 'ES256', kid, key };
  throw new Error(`unsupported public key type ${String(key.asymmetricKeyType)} (RSA or EC P-256 expected)`);
}

/** A signing key for `signJwt`: an HS256 secret, or an RS256/ES256 private key. */
export type SigningKey = { alg: 'HS256'; kid?: string; secret: Buffer } | { alg: 'RS256' | 'ES256'; kid?: string; key: KeyObject };

/**
 * Signs a compact JWS. Pipewright verifies tokens, it does not run an issuer: this serves tests and
 * operators who mint tokens from a shared secret (docs/security.md).
 */
export function signJwt(claims: JwtClaims, key: SigningKey): string {
  const header = { alg: key.alg, typ: 'JWT', ...(key.kid ? { kid: key.kid } : {}) };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  let signature: Buffer;
  if (key.alg === 'HS256') signature = createHmac('sha256', key.secret).update(input).digest();
  else signature = sign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: key.key, dsaEncoding: 'ieee-p1363' } : key.key);
  return `${input}.${signature.toString('base64url')}`;
}
