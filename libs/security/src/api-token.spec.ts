import { checkApiToken, hashApiToken, isApiToken, issueApiToken } from './api-token';

const now = new Date('2026-06-01T12:00:00Z');
const identity = { kind: 'service-account' as const, subject: 'deployer' };

describe('API tokens', () => {
  it('are random, recognisable, and kept only as their SHA-256', () => {
    const a = issueApiToken();
    const b = issueApiToken();

    expect(isApiToken(a.token)).toBe(true);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(hashApiToken(a.token));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.token);
  });

  it('given a stored, live token, then it names its identity', () => {
    expect(checkApiToken({ tokenId: 't', identity, expires: new Date(now.getTime() + 1000), revoked: false }, now)).toMatchObject({ ok: true, identity });
  });

  it('given a revoked token, then it is rejected as revoked', () => {
    expect(checkApiToken({ tokenId: 't', identity, expires: new Date(now.getTime() + 1000), revoked: true }, now)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('given an expired token, then it is rejected as expired', () => {
    expect(checkApiToken({ tokenId: 't', identity, expires: now, revoked: false }, now)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('given a token nobody issued, then it is unknown', () => {
    expect(checkApiToken(undefined, now)).toMatchObject({ ok: false, reason: 'unknown-token' });
  });
});
