import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtClaims, keyFromPem, keysFromJwksFile, signJwt, verifyJwt } from './jwt';

const now = new Date('2026-06-01T12:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);
const secret = Buffer.from('a-shared-secret-of-enough-length-0123456789');
const options = { issuer: 'https://issuer.example', audience: 'pipewright', keys: [{ alg: 'HS256' as const, secret }], clockToleranceSeconds: 0 };
const claims = (extra: Partial<JwtClaims> = {}): JwtClaims => ({ iss: 'https://issuer.example', aud: 'pipewright', sub: 'ada', exp: seconds + 600, iat: seconds, ...extra });

describe('verifyJwt', () => {
  it('given a token signed with the configured secret, then it names the user', () => {
    const verdict = verifyJwt(signJwt(claims(), { alg: 'HS256', secret }), options, now);

    expect(verdict).toMatchObject({ ok: true, identity: { kind: 'user', subject: 'ada' } });
  });

  it('given a service-account claim, then the identity is a service account', () => {
    const verdict = verifyJwt(signJwt(claims({ pipewright_kind: 'service-account' }), { alg: 'HS256', secret }), options, now);

    expect(verdict).toMatchObject({ ok: true, identity: { kind: 'service-account', subject: 'ada' } });
  });

  it('given an expired token, then it is rejected as expired', () => {
    const verdict = verifyJwt(signJwt(claims({ exp: seconds - 1 }), { alg: 'HS256', secret }), options, now);

    expect(verdict).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('given a token not valid yet, then it is rejected', () => {
    const verdict = verifyJwt(signJwt(claims({ nbf: seconds + 60 }), { alg: 'HS256', secret }), options, now);

    expect(verdict).toMatchObject({ ok: false, reason: 'not-yet-valid' });
  });

  it('given a token signed with another secret, then the signature is forged', () => {
    const verdict = verifyJwt(signJwt(claims(), { alg: 'HS256', secret: Buffer.from('another secret') }), options, now);

    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('given claims changed after signing, then the signature is forged', () => {
    const [header, , signature] = signJwt(claims(), { alg: 'HS256', secret }).split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims({ sub: 'root' }))).toString('base64url')}.${signature}`;

    expect(verifyJwt(tampered, options, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('given a wrong issuer or audience, then it is rejected', () => {
    expect(verifyJwt(signJwt(claims({ iss: 'https://evil.example' }), { alg: 'HS256', secret }), options, now)).toMatchObject({ ok: false, reason: 'wrong-issuer' });
    expect(verifyJwt(signJwt(claims({ aud: ['other'] }), { alg: 'HS256', secret }), options, now)).toMatchObject({ ok: false, reason: 'wrong-audience' });
  });

  it('given alg none, then no key matches', () => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;

    expect(verifyJwt(input, options, now)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('given text that is not a JWT, then it is malformed', () => {
    expect(verifyJwt('not-a-token', options, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('given RS256 and ES256 tokens, then the matching public keys verify them and an HS256 token made with the public key text does not', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keys = [keyFromPem(rsaPem), keyFromPem(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString())];
    const opts = { ...options, keys };

    expect(verifyJwt(signJwt(claims(), { alg: 'RS256', key: rsa.privateKey }), opts, now)).toMatchObject({ ok: true });
    expect(verifyJwt(signJwt(claims(), { alg: 'ES256', key: ec.privateKey }), opts, now)).toMatchObject({ ok: true });
    expect(verifyJwt(signJwt(claims(), { alg: 'HS256', secret: Buffer.from(rsaPem) }), opts, now)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('given a JWKS file, then its keys verify tokens by kid', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }));
    const opts = { ...options, keys: keysFromJwksFile(file) };

    expect(verifyJwt(signJwt(claims(), { alg: 'ES256', kid: 'k1', key: ec.privateKey }), opts, now)).toMatchObject({ ok: true });
    expect(verifyJwt(signJwt(claims(), { alg: 'ES256', kid: 'k2', key: ec.privateKey }), opts, now)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });
});
