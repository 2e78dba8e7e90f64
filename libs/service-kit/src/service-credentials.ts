import { Metadata } from '@grpc/grpc-js';
import { securityConfig, signJwt } from '@pipewright/security';

/** The subject a Pipewright service acts as when it calls another (docs/security.md). */
export const serviceSubject = (service: string) => `service:${service}`;

let current: string | undefined;
let minted: { token: string; until: number } | undefined;

/** Called by runService: outgoing calls of this process carry its own identity. */
export function useServiceIdentity(service: string): void {
  current = service;
  minted = undefined;
}

/**
 * The bearer token this process presents: PIPEWRIGHT_SERVICE_TOKEN when set (an API token or JWT
 * of a service account), else, with an HS256 issuer configured, a short-lived JWT it signs for
 * `service:<name>`; none when auth is off.
 */
export function serviceToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PIPEWRIGHT_SERVICE_TOKEN) return env.PIPEWRIGHT_SERVICE_TOKEN;
  if (!current) return undefined;
  if (minted && minted.until > Date.now()) return minted.token;
  const config = securityConfig(env);
  const key = config.jwt?.keys.find((k) => k.alg === 'HS256');
  if (config.mode === 'off' || !config.jwt || !key || key.alg !== 'HS256') return undefined;
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt({ iss: config.jwt.issuer, aud: config.jwt.audience, sub: serviceSubject(current), pipewright_kind: 'service-account', iat: now, exp: now + 600 }, key);
  minted = { token, until: Date.now() + 300_000 };
  return token;
}

export function serviceMetadata(): Metadata {
  const metadata = new Metadata();
  const token = serviceToken();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Metadata for a call made for one job: its job token when it has one, else this process's own identity. */
export function jobMetadata(jobToken: string | undefined): Metadata {
  if (!jobToken) return serviceMetadata();
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${jobToken}`);
  return metadata;
}
