import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { GitHost } from './git-push';

/** CodePipeline's webhook authentication values. */
export type WebhookAuthentication = 'GITHUB_HMAC' | 'IP' | 'UNAUTHENTICATED';
export const WEBHOOK_AUTHENTICATIONS: readonly WebhookAuthentication[] = ['GITHUB_HMAC', 'IP', 'UNAUTHENTICATED'];

export interface DeliveryCredentials {
  host: GitHost;
  headers: Record<string, string | undefined>;
  body: Buffer;
  remoteAddress: string;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * GITHUB_HMAC is each host's own scheme with the webhook's secret: GitHub's X-Hub-Signature-256
 * (`sha256=<hex>`), Gitea's X-Gitea-Signature (`<hex>`), GitLab's X-Gitlab-Token (the secret itself).
 */
export function verifyDelivery(authentication: WebhookAuthentication, secret: string, allowedIpRange: string, delivery: DeliveryCredentials): Verdict {
  switch (authentication) {
    case 'UNAUTHENTICATED':
      return { ok: true };
    case 'IP':
      return ipAllowed(allowedIpRange, delivery.remoteAddress) ? { ok: true } : { ok: false, reason: `address ${delivery.remoteAddress} is outside the allowed range` };
    case 'GITHUB_HMAC': {
      const { headers, body } = delivery;
      switch (delivery.host) {
        case 'GitHub': {
          const given = headers['x-hub-signature-256'];
          if (!given) return { ok: false, reason: 'X-Hub-Signature-256 is missing' };
          return sameSecret(given, `sha256=${hmacHex(secret, body)}`) ? { ok: true } : { ok: false, reason: 'X-Hub-Signature-256 does not match' };
        }
        case 'Gitea': {
          const given = headers['x-gitea-signature'];
          if (!given) return { ok: false, reason: 'X-Gitea-Signature is missing' };
          return sameSecret(given.toLowerCase(), hmacHex(secret, body)) ? { ok: true } : { ok: false, reason: 'X-Gitea-Signature does not match' };
        }
        case 'GitLab': {
          const given = headers['x-gitlab-token'];
          if (!given) return { ok: false, reason: 'X-Gitlab-Token is missing' };
          return sameSecret(given, secret) ? { ok: true } : { ok: false, reason: 'X-Gitlab-Token does not match' };
        }
      }
    }
  }
}

/** A CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or a single address. */
export function parseIpRange(range: string): BlockList | undefined {
  const [address, bits] = range.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}

function ipAllowed(range: string, remote: string): boolean {
  const list = parseIpRange(range);
  if (!list) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(remote);
  const address = mapped ? mapped[1] : remote;
  return list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}
