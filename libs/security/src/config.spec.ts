import { securityConfig } from './config';

const required = { PIPEWRIGHT_AUTH: 'required', PIPEWRIGHT_JOB_TOKEN_SECRET: 'x'.repeat(32) };

describe('securityConfig', () => {
  it('given nothing, then auth is off and nothing is required', () => {
    expect(securityConfig({})).toMatchObject({ mode: 'off', auditReads: false, decisionCacheMs: 5000, jobTokenSecret: undefined });
  });

  it('given auth required, then a job token secret of at least 32 characters is', () => {
    expect(() => securityConfig({ PIPEWRIGHT_AUTH: 'required' })).toThrow('PIPEWRIGHT_JOB_TOKEN_SECRET is required when PIPEWRIGHT_AUTH=required');
    expect(() => securityConfig({ ...required, PIPEWRIGHT_JOB_TOKEN_SECRET: 'short' })).toThrow('at least 32 characters');
    expect(securityConfig(required).jobTokenSecret).toEqual(Buffer.from('x'.repeat(32)));
  });

  it('given reads audited, then no decision is reused (every read reaches the audit log)', () => {
    expect(securityConfig({ ...required, PIPEWRIGHT_AUDIT_READS: 'true', PIPEWRIGHT_AUTH_CACHE_MS: '5000' })).toMatchObject({ auditReads: true, decisionCacheMs: 0 });
    expect(() => securityConfig({ PIPEWRIGHT_AUDIT_READS: 'yes' })).toThrow('PIPEWRIGHT_AUDIT_READS must be true or false, got "yes"');
  });

  it('given an unknown mode or a negative cache, then it says which variable is wrong', () => {
    expect(() => securityConfig({ PIPEWRIGHT_AUTH: 'on' })).toThrow('PIPEWRIGHT_AUTH must be off or required, got "on"');
    expect(() => securityConfig({ PIPEWRIGHT_AUTH_CACHE_MS: '-1' })).toThrow('PIPEWRIGHT_AUTH_CACHE_MS must be a non-negative integer');
  });
});
