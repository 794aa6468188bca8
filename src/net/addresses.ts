/**
 * IP addresses as the gateway sees them (host-secrets' checks, the trusted proxies): one
 * canonical form per address (an IPv4-mapped IPv6 address is its IPv4 address), CIDR lists from
 * settings, the client address of a request and the reverse-DNS name of an address.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigError } from '../config/settings.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type AddressRange = [Address, number];

/**
 * An address in canonical form, or undefined when the text is not strictly an address.
 * `isIP` first because ipaddr.js also accepts forms like `127.1` or `0x7f.0.0.1`, which must not
 * slip past an allow-list written in dotted quads.
 */
export function parseAddress(text: string): Address | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family === 0) return undefined;
  // Every request parses its peer, mostly IPv4-mapped on a dual-stack socket: going straight to
  // the IPv4 parser costs a fifth of ipaddr.process, which tries IPv6's grammar first.
  const mapped = MAPPED_IPV4.exec(text);
  if (mapped) return ipaddr.IPv4.parse(mapped[1]!);
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** The text form used in logs, answers and comparisons. */
export function addressText(address: Address): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

/**
 * CIDRs from a setting: entries separated by commas or whitespace (an environment variable
 * arrives as one string, a YAML file as a list); a bare address is a /32 or /128.
 */
export function parseRanges(value: string | readonly string[], settingName: string): AddressRange[] {
  const entries = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
  return entries.map((entry) => {
    const [text, prefixText, ...rest] = entry.split('/');
    const address = parseAddress(text!);
    const maxPrefix = address?.kind() === 'ipv6' ? 128 : 32;
    const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!address || rest.length > 0 || !(prefix >= 0 && prefix <= maxPrefix)) {
      throw new ConfigError(`setting ${settingName}: ${JSON.stringify(entry)} is not an IP address or CIDR`);
    }
    return [address, prefix];
  });
}

export function inRanges(address: Address, ranges: AddressRange[]): boolean {
  return ranges.some(([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix));
}

export type ClientAddress = { address: Address } | { problem: string };

/**
 * Who is asking: the TCP peer, unless the peer is one of the trusted proxies, in which case the
 * X-Forwarded-For chain is walked from the right, past every trusted proxy, to the first hop
 * that is not one. Hops from anyone else are never believed, so a client cannot name another
 * host's address.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: AddressRange[]): ClientAddress {
  let address = peer === undefined ? undefined : parseAddress(peer);
  if (!address) return { problem: 'the connection has no peer address' };
  if (trustedProxies.length === 0 || forwardedFor === undefined) return { address };
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((hop) => hop.trim());
  while (inRanges(address, trustedProxies) && hops.length > 0) {
    const hop = hops.pop()!;
    const next = parseAddress(hop);
    if (!next) return { problem: `X-Forwarded-For from a trusted proxy holds ${JSON.stringify(hop)}, not an IP address` };
    address = next;
  }
  return { address };
}

/** The name a PTR look-up asks for: `4.3.2.1.in-addr.arpa` or the 32 nibbles under `ip6.arpa`. */
export function reverseLookupName(address: Address): string {
  if (address.kind() === 'ipv4') return `${[...address.toByteArray()].reverse().join('.')}.in-addr.arpa`;
  const nibbles = address.toByteArray().flatMap((byte) => [byte >> 4, byte & 15]);
  return `${nibbles.reverse().map((n) => n.toString(16)).join('.')}.ip6.arpa`;
}
