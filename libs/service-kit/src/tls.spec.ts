import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientChannel, peerCertificateName, serverCredentials, tlsConfig, TlsConfigurationError } from './tls';

describe('mutual TLS configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-tls-spec-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const complete = {
    PIPEWRIGHT_TLS_CERT_FILE: file('cert.pem', 'CERT'),
    PIPEWRIGHT_TLS_KEY_FILE: file('key.pem', 'KEY'),
    PIPEWRIGHT_TLS_CA_FILE: file('ca.pem', 'CA'),
  };

  it('is off when none of the variables is set: servers and clients stay plaintext', () => {
    expect(tlsConfig({})).toBeUndefined();
    expect(serverCredentials({})._isSecure()).toBe(false);
    expect(clientChannel({}).credentials._isSecure()).toBe(false);
    expect(clientChannel({}).options).toEqual({});
  });

  it('treats empty variables as unset', () => {
    expect(tlsConfig({ PIPEWRIGHT_TLS_CERT_FILE: '', PIPEWRIGHT_TLS_KEY_FILE: '', PIPEWRIGHT_TLS_CA_FILE: '' })).toBeUndefined();
  });

  it('refuses a partial configuration, naming every missing variable', () => {
    const onlyCert = { PIPEWRIGHT_TLS_CERT_FILE: complete.PIPEWRIGHT_TLS_CERT_FILE };
    expect(() => tlsConfig(onlyCert)).toThrow(TlsConfigurationError);
    expect(() => tlsConfig(onlyCert)).toThrow('missing PIPEWRIGHT_TLS_KEY_FILE, PIPEWRIGHT_TLS_CA_FILE');
    expect(() => tlsConfig({ ...complete, PIPEWRIGHT_TLS_CA_FILE: '' })).toThrow(/missing PIPEWRIGHT_TLS_CA_FILE$/);
  });

  it('refuses a partial configuration for servers and clients alike, instead of falling back to plaintext', () => {
    const noKey = { ...complete, PIPEWRIGHT_TLS_KEY_FILE: undefined };
    expect(() => serverCredentials(noKey)).toThrow('missing PIPEWRIGHT_TLS_KEY_FILE');
    expect(() => clientChannel(noKey)).toThrow('missing PIPEWRIGHT_TLS_KEY_FILE');
  });

  it('names the variable whose file cannot be read', () => {
    const missingFile = join(dir, 'absent.pem');
    expect(() => tlsConfig({ ...complete, PIPEWRIGHT_TLS_KEY_FILE: missingFile })).toThrow(`PIPEWRIGHT_TLS_KEY_FILE: cannot read ${missingFile}`);
  });

  it('reads the three files and the optional server name', () => {
    expect(tlsConfig(complete)).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY'), ca: Buffer.from('CA'), serverName: undefined });
    expect(tlsConfig({ ...complete, PIPEWRIGHT_TLS_SERVER_NAME: 'pipewright.internal' })?.serverName).toBe('pipewright.internal');
  });

  it('has no peer certificate name over plaintext or without a certificate', () => {
    expect(peerCertificateName(undefined)).toBeUndefined();
    expect(peerCertificateName({})).toBeUndefined();
    expect(peerCertificateName({ getAuthContext: () => ({}) })).toBeUndefined();
  });
});
