import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { ChannelCredentials, ChannelOptions, credentials, ServerCredentials } from '@grpc/grpc-js';

/** The variables that turn on mutual TLS; all or none (docs/security.md). */
export const tlsFileVariables = ['PIPEWRIGHT_TLS_CERT_FILE', 'PIPEWRIGHT_TLS_KEY_FILE', 'PIPEWRIGHT_TLS_CA_FILE'] as const;

/** This process's certificate and key, the CA its peers' certificates must chain to (PEM). */
export interface TlsConfig {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  /** The name clients check the server certificate against instead of the address's host. */
  serverName?: string;
}

export class TlsConfigurationError extends Error {
  override readonly name = 'TlsConfigurationError';
}

/** Mutual TLS from the environment, or undefined when none of its variables is set (plaintext, the default). */
export function tlsConfig(env: NodeJS.ProcessEnv = process.env): TlsConfig | undefined {
  const missing = tlsFileVariables.filter((name) => !env[name]);
  if (missing.length === tlsFileVariables.length) return undefined;
  if (missing.length > 0) {
    // Half a configuration must not silently fall back to plaintext.
    throw new TlsConfigurationError(`mutual TLS needs ${tlsFileVariables.join(', ')}; missing ${missing.join(', ')}`);
  }
  const read = (name: (typeof tlsFileVariables)[number]): Buffer => {
    const path = env[name]!;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new TlsConfigurationError(`${name}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  return {
    cert: read('PIPEWRIGHT_TLS_CERT_FILE'),
    key: read('PIPEWRIGHT_TLS_KEY_FILE'),
    ca: read('PIPEWRIGHT_TLS_CA_FILE'),
    serverName: env.PIPEWRIGHT_TLS_SERVER_NAME || undefined,
  };
}

/** What a gRPC server binds with: a client certificate signed by the CA is required under mTLS. */
export function serverCredentials(env: NodeJS.ProcessEnv = process.env): ServerCredentials {
  const tls = tlsConfig(env);
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** What a gRPC client connects with: credentials plus the channel options they need. */
export interface ClientChannel {
  credentials: ChannelCredentials;
  options: ChannelOptions;
}

export function clientChannel(env: NodeJS.ProcessEnv = process.env): ClientChannel {
  const tls = tlsConfig(env);
  if (!tls) return { credentials: credentials.createInsecure(), options: {} };
  return {
    credentials: credentials.createSsl(tls.ca, tls.key, tls.cert),
    options: tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {},
  };
}

/** A served call as grpc-js hands it to a handler (Nest passes it as the handler's third argument). */
export interface CallWithAuthContext {
  getAuthContext?(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The subject CN of the certificate the caller presented under mutual TLS, e.g. `orchestrator`;
 * undefined over plaintext. The transport already checked it chains to PIPEWRIGHT_TLS_CA_FILE.
 */
export function peerCertificateName(call: CallWithAuthContext | undefined): string | undefined {
  const subject = call?.getAuthContext?.()?.sslPeerCertificate?.subject;
  const cn = subject?.CN as string | string[] | undefined;
  return (Array.isArray(cn) ? cn[0] : cn) || undefined;
}
