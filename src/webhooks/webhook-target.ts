/**
 * Where a webhook may be sent (no SSRF): https only, except targets on this host when the operator allows them
 * (WEBHOOK_ALLOW_LOOPBACK: development and tests); never link-local (the cloud metadata address among them) or
 * reserved addresses; private ranges only when WEBHOOK_ALLOW_PRIVATE says so. Checked when a subscription is
 * made and again at every connection: the address the delivery connects to is the one just checked (the
 * lookup below), so a name that resolves elsewhere later (DNS rebinding) is refused then. Redirects are never
 * followed. The ranges are Node's own BlockList, which also matches IPv4-mapped IPv6 addresses.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export interface TargetPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivate: boolean;
}

/** Every address a host name resolves to (the system resolver, as connections use it). */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

function ranges(list: readonly (readonly [string, number])[]): BlockList {
  const blocks = new BlockList();
  for (const [network, prefix] of list) blocks.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return blocks;
}

const LOOPBACK = ranges([['127.0.0.0', 8], ['::1', 128]]);
const PRIVATE = ranges([['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['fc00::', 7]]);
/** Nothing a receiver lives on: this network, link-local (169.254.169.254), IETF, test, benchmark, multicast, reserved; NAT64 and 6to4 wrap any of them. */
const NEVER = ranges([
  ['0.0.0.0', 8], ['169.254.0.0', 16], ['192.0.0.0', 24], ['192.0.2.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4], ['::', 128], ['fe80::', 10], ['64:ff9b::', 96], ['2002::', 16], ['2001:db8::', 32], ['ff00::', 8],
]);

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/** Why a delivery may not connect to `address`, or null when it may. */
export function addressProblem(address: string, policy: TargetPolicy): string | null {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (NEVER.check(address, family)) return `it resolves to ${address}, a link-local or reserved address`;
  if (LOOPBACK.check(address, family)) return policy.allowLoopback ? null : `it resolves to ${address}, this host (loopback)`;
  if (PRIVATE.check(address, family)) return policy.allowPrivate ? null : `it resolves to ${address}, a private address`;
  return null;
}

const isLoopbackName = (hostname: string): boolean => {
  const host = bare(hostname).toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && LOOPBACK.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4'));
};

/** What can be told from the URL alone: the scheme, credentials, an address written in it. */
export function urlProblem(value: string, policy: TargetPolicy): string | null {
  if (!URL.canParse(value)) return 'it is not a URL';
  const url = new URL(value);
  if (url.username !== '' || url.password !== '') return 'it carries credentials: receivers verify the signature instead';
  if (url.protocol === 'http:') {
    if (!isLoopbackName(url.hostname)) return 'it must be an https:// URL';
    if (!policy.allowLoopback) return 'http:// is allowed only to this host, and only when the operator allows it (WEBHOOK_ALLOW_LOOPBACK)';
  } else if (url.protocol !== 'https:') {
    return 'it must be an https:// URL';
  }
  const host = bare(url.hostname);
  return isIP(host) === 0 ? null : addressProblem(host, policy);
}

const RESOLVE_TIMEOUT_MS = 3_000;

/** The whole check when subscribing: the URL, then every address its host resolves to now. */
export async function targetProblem(value: string, policy: TargetPolicy, resolve: Resolve = systemResolve): Promise<string | null> {
  const problem = urlProblem(value, policy);
  if (problem !== null) return problem;
  const url = new URL(value);
  if (isIP(bare(url.hostname)) !== 0) return null;
  let addresses: readonly LookupAddress[];
  let timer: NodeJS.Timeout | undefined;
  try {
    // A resolver that does not answer must not hold the request: what cannot be resolved now is refused.
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), RESOLVE_TIMEOUT_MS);
    });
    addresses = await Promise.race([resolve(url.hostname), timeout]);
  } catch (error) {
    return (error as Error).message === 'timeout' ? `its host ${url.hostname} did not resolve within ${RESOLVE_TIMEOUT_MS / 1000} s` : `its host ${url.hostname} does not resolve`;
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) return `its host ${url.hostname} does not resolve`;
  for (const { address } of addresses) {
    const refused = addressProblem(address, policy);
    if (refused !== null) return refused;
  }
  // A plain-http name on this host must not resolve anywhere else.
  if (url.protocol === 'http:' && addresses.some(({ address }) => !LOOPBACK.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'))) {
    return `its host ${url.hostname} resolves beyond this host: use https://`;
  }
  return null;
}

export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses to connect to an address the policy forbids: the check and the
 * connection use the same answer. `loopbackOnly` for plain-http targets.
 */
export function guardedLookup(policy: TargetPolicy, loopbackOnly: boolean, resolve: Resolve = systemResolve) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then((addresses) => {
      for (const { address } of addresses) {
        const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
        const refused = loopbackOnly && !LOOPBACK.check(address, family) ? `it resolves to ${address}, beyond this host, over http://` : addressProblem(address, policy);
        if (refused !== null) throw new TargetRefusedError(`Refused to connect to ${hostname}: ${refused}`);
      }
      if (addresses.length === 0) throw new TargetRefusedError(`${hostname} does not resolve`);
      const wanted = options.family === 6 || options.family === 4 ? addresses.filter(({ family }) => family === options.family) : addresses;
      const usable = wanted.length > 0 ? wanted : addresses;
      if (options.all) callback(null, [...usable]);
      else callback(null, usable[0]!.address, usable[0]!.family);
    }).catch((error: unknown) => callback(error as NodeJS.ErrnoException, ''));
  };
}
