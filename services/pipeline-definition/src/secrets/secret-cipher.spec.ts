import { randomBytes } from 'node:crypto';
import { openSecret, parseSecretsKey, sealSecret, SecretKeyUnusable, SecretTampered } from './secret-cipher';

describe('secret cipher', () => {
  const key = randomBytes(32);
  const slot = { team: 'payments', name: 'deploy-token', version: 3 };

  it('opens what it sealed, and seals the same value differently each time (random IV)', () => {
    const first = sealSecret(key, slot, 'hunter2 ✓');
    const second = sealSecret(key, slot, 'hunter2 ✓');

    expect(openSecret(key, slot, first)).toBe('hunter2 ✓');
    expect(first.equals(second)).toBe(false);
    expect(first.toString('latin1')).not.toContain('hunter2');
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = sealSecret(key, slot, 'hunter2');
    sealed[sealed.length - 1] ^= 1;

    expect(() => openSecret(key, slot, sealed)).toThrow(SecretTampered);
  });

  it.each([
    ['another team', { ...slot, team: 'search' }],
    ['another name', { ...slot, name: 'other' }],
    ['another version', { ...slot, version: 2 }],
  ])('refuses a value moved to %s', (_, other) => {
    expect(() => openSecret(key, other, sealSecret(key, slot, 'hunter2'))).toThrow(SecretTampered);
  });

  it('refuses another key and a truncated value', () => {
    expect(() => openSecret(randomBytes(32), slot, sealSecret(key, slot, 'hunter2'))).toThrow(SecretTampered);
    expect(() => openSecret(key, slot, Buffer.alloc(10))).toThrow(SecretTampered);
  });

  it('reads a key as 64 hex digits or base64 of 32 bytes', () => {
    expect(parseSecretsKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseSecretsKey(key.toString('base64')).equals(key)).toBe(true);
  });

  it.each([undefined, '', 'short', randomBytes(16).toString('base64'), 'z'.repeat(64)])('refuses the key %p with a message naming the variable', (text) => {
    expect(() => parseSecretsKey(text)).toThrow(SecretKeyUnusable);
    expect(() => parseSecretsKey(text)).toThrow(/PIPEWRIGHT_SECRETS_KEY/);
  });
});
