import { lookup } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';

/** Loopback, link-local, private, shared, multicast and unspecified ranges: never a target by default. */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) internal.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) internal.addSubnet(network, prefix, 'ipv6');

export function isInternalAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (family === 4) return internal.check(host, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
    if (mapped) return internal.check(mapped[1], 'ipv4');
    return internal.check(host, 'ipv6');
  }
  return false;
}

/** Names that always mean this machine, whatever DNS says. */
export function isLocalHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

export class TargetAddressRefused extends Error {
  constructor(host: string, address: string) {
    super(`refused: ${host} is ${address}, a loopback, link-local or private address (set PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS=true to allow)`);
    this.name = 'TargetAddressRefused';
  }
}

/**
 * A DNS lookup for http.request that refuses internal addresses. The connection uses the address
 * checked here, so a name that resolves differently a moment later (DNS rebinding) cannot slip by.
 */
export function guardedLookup(allowInternal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = allowInternal ? undefined : list.find((a) => isInternalAddress(a.address));
      if (bad) return callback(new TargetAddressRefused(hostname, bad.address), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
