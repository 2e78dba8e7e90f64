import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of one certificate and its key. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A throwaway certificate authority made with the openssl CLI, as docs/security.md tells operators to. */
export class TestCertificateAuthority {
  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  get ca(): string {
    return join(this.dir, `${this.name}.pem`);
  }

  static create(name: string): TestCertificateAuthority {
    const dir = mkdtempSync(join(tmpdir(), `pw-tls-${name}-`));
    openssl(['req', '-x509', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return new TestCertificateAuthority(dir, name);
  }

  /** A certificate for both ends of a connection (server and client auth) with the given subject CN and SANs. */
  issue(commonName: string, altNames: string[] = ['DNS:localhost', 'IP:127.0.0.1']): IssuedCertificate {
    const base = join(this.dir, commonName);
    writeFileSync(`${base}.ext`, `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(['req', '-new', ...ecKey, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${commonName}`], this.dir);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.ca, '-CAkey', join(this.dir, `${this.name}.key`),
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-out', `${base}.pem`, '-extfile', `${base}.ext`], this.dir);
    return { cert: `${base}.pem`, key: `${base}.key` };
  }

  /** The PIPEWRIGHT_TLS_* variables of a process holding `issued`, trusting this CA. */
  env(issued: IssuedCertificate, serverName?: string): Record<string, string> {
    return {
      PIPEWRIGHT_TLS_CERT_FILE: issued.cert,
      PIPEWRIGHT_TLS_KEY_FILE: issued.key,
      PIPEWRIGHT_TLS_CA_FILE: this.ca,
      ...(serverName ? { PIPEWRIGHT_TLS_SERVER_NAME: serverName } : {}),
    };
  }
}
