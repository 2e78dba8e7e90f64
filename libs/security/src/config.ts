import { keyFromPem, keysFromJwksFile, JwtVerifierOptions, VerificationKey } from './jwt';

export type AuthMode = 'off' | 'required';

export interface SecurityConfig {
  /** off: no token is asked for (development, and the test suites that predate security). */
  mode: AuthMode;
  /** Absent when no issuer is configured: only API tokens are accepted. */
  jwt?: JwtVerifierOptions;
  /** A subject made system administrator at start. */
  bootstrapAdmin?: string;
  /** An API token (pwt_…) for the bootstrap administrator, stored hashed at start. */
  bootstrapToken?: string;
  /** How long another service may reuse an allowed read decision. */
  decisionCacheMs: number;
  /** Record allowed reads in the audit log too (PIPEWRIGHT_AUDIT_READS=true); mutations and refusals always are. */
  auditReads?: boolean;
  /** Signs and verifies job tokens (PIPEWRIGHT_JOB_TOKEN_SECRET); required when auth is. */
  jobTokenSecret?: Buffer;
}

/** The configuration every service reads the same way (docs/security.md lists the variables). */
export function securityConfig(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const mode = (env.PIPEWRIGHT_AUTH || 'off') as AuthMode;
  if (mode !== 'off' && mode !== 'required') throw new Error(`PIPEWRIGHT_AUTH must be off or required, got "${env.PIPEWRIGHT_AUTH}"`);
  const keys: VerificationKey[] = [];
  if (env.PIPEWRIGHT_JWT_HS256_SECRET) keys.push({ alg: 'HS256', secret: Buffer.from(env.PIPEWRIGHT_JWT_HS256_SECRET, 'utf8') });
  if (env.PIPEWRIGHT_JWT_PUBLIC_KEY) keys.push(keyFromPem(env.PIPEWRIGHT_JWT_PUBLIC_KEY));
  if (env.PIPEWRIGHT_JWT_JWKS_FILE) keys.push(...keysFromJwksFile(env.PIPEWRIGHT_JWT_JWKS_FILE));
  const issuer = env.PIPEWRIGHT_JWT_ISSUER;
  if (keys.length > 0 && !issuer) throw new Error('PIPEWRIGHT_JWT_ISSUER is required when JWT keys are configured');
  const jwt = issuer ? { issuer, audience: env.PIPEWRIGHT_JWT_AUDIENCE || 'pipewright', keys } : undefined;
  if (jwt && keys.length === 0) throw new Error('PIPEWRIGHT_JWT_ISSUER is set but no key is: set PIPEWRIGHT_JWT_HS256_SECRET, PIPEWRIGHT_JWT_PUBLIC_KEY or PIPEWRIGHT_JWT_JWKS_FILE');
  const cache = Number(env.PIPEWRIGHT_AUTH_CACHE_MS || 5000);
  if (!Number.isInteger(cache) || cache < 0) throw new Error(`PIPEWRIGHT_AUTH_CACHE_MS must be a non-negative integer, got "${env.PIPEWRIGHT_AUTH_CACHE_MS}"`);
  const auditReads = env.PIPEWRIGHT_AUDIT_READS || 'false';
  if (auditReads !== 'true' && auditReads !== 'false') throw new Error(`PIPEWRIGHT_AUDIT_READS must be true or false, got "${auditReads}"`);
  const jobSecret = env.PIPEWRIGHT_JOB_TOKEN_SECRET;
  if (jobSecret !== undefined && jobSecret.length < 32) throw new Error('PIPEWRIGHT_JOB_TOKEN_SECRET must have at least 32 characters');
  if (mode === 'required' && !jobSecret) throw new Error('PIPEWRIGHT_JOB_TOKEN_SECRET is required when PIPEWRIGHT_AUTH=required: job workers act with tokens scoped to one job');
  return {
    mode,
    jwt,
    bootstrapAdmin: env.PIPEWRIGHT_BOOTSTRAP_ADMIN || undefined,
    bootstrapToken: env.PIPEWRIGHT_BOOTSTRAP_TOKEN || undefined,
    // Every read must reach the decision point to be recorded: nothing is reused then.
    decisionCacheMs: auditReads === 'true' ? 0 : cache,
    auditReads: auditReads === 'true',
    jobTokenSecret: jobSecret ? Buffer.from(jobSecret, 'utf8') : undefined,
  };
}
