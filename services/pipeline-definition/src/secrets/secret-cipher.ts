import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Why a value cannot be sealed or opened: no usable key, or a row that is not what was sealed. */
export class SecretKeyUnusable extends Error {}
export class SecretTampered extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The 32-byte key of PIPEWRIGHT_SECRETS_KEY: base64 (44 characters) or 64 hex digits. */
export function parseSecretsKey(text: string | undefined): Buffer {
  if (!text) throw new SecretKeyUnusable('PIPEWRIGHT_SECRETS_KEY is not set: the secret store needs a 32-byte key (base64 or 64 hex digits) to encrypt values');
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== 32) throw new SecretKeyUnusable('PIPEWRIGHT_SECRETS_KEY must be 32 bytes, written as base64 or 64 hex digits');
  return key;
}

/** Which row a sealed value belongs to: bound as associated data, so a value moved to another row does not open. */
export interface SecretSlot {
  team: string;
  name: string;
  version: number;
}

const aad = ({ team, name, version }: SecretSlot) => Buffer.from(JSON.stringify([team, name, version]), 'utf8');

/** AES-256-GCM with a fresh random IV: iv ‖ tag ‖ ciphertext. */
export function sealSecret(key: Buffer, slot: SecretSlot, value: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(slot));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function openSecret(key: Buffer, slot: SecretSlot, sealed: Buffer): string {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SecretTampered(`secret ${slot.name} of team ${slot.team} is not a sealed value`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(aad(slot));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretTampered(`secret ${slot.name} of team ${slot.team} (version ${slot.version}) does not decrypt: a different key, or the row was altered`);
  }
}
