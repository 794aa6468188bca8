/**
 * The front proxies whose X-Forwarded-* headers are believed (setting `trustedProxies`), parsed
 * once for every reader: Fastify's `request.ip` and `request.host` (its `trustProxy` option in
 * function form), the host and port a Hawk signature covers (fastify/authorize.ts) and
 * host-secrets' client address. One object per gateway, whose list a configuration reload
 * swaps: every reader sees the new list from the next request on, none a mix.
 */
import { clientAddress, inRanges, parseAddress, parseRanges, type AddressRange, type ClientAddress } from './addresses.js';

/** How the setting is named in errors. */
export const TRUSTED_PROXIES_SETTING = 'trustedProxies (GATEWAY_TRUSTED_PROXIES, --trusted-proxies)';

export class TrustedProxies {
  #ranges: AddressRange[];

  /** The ranges TrustedProxies.parse made; none: no proxy is trusted. */
  constructor(ranges: AddressRange[] = []) {
    this.#ranges = ranges;
  }

  /** The check a start and a reload make of the setting (a bare address is a /32 or /128): ConfigError naming it. */
  static parse(cidrs: string | readonly string[]): AddressRange[] {
    return parseRanges(cidrs, TRUSTED_PROXIES_SETTING);
  }

  /** Holder of CIDRs given as an option (checked), or the live holder itself. */
  static of(option: string | readonly string[] | TrustedProxies | undefined): TrustedProxies {
    return option instanceof TrustedProxies ? option : new TrustedProxies(TrustedProxies.parse(option ?? []));
  }

  /** In force from the next request on (a reload, once every check of the new configuration passed). */
  use(ranges: AddressRange[]): void {
    this.#ranges = ranges;
  }

  /** True while the setting names no proxy (TRUST_PROXY then believes any peer's X-Forwarded-Proto, as the original did). */
  get namesNone(): boolean {
    return this.#ranges.length === 0;
  }

  /** Whether a peer is a trusted proxy; as Fastify's `trustProxy` function, which passes the hop too. */
  readonly trusts = (address: string | undefined): boolean => {
    if (this.#ranges.length === 0 || address === undefined) return false;
    const parsed = parseAddress(address);
    return parsed !== undefined && inRanges(parsed, this.#ranges);
  };

  /** The client behind the trusted proxies (see clientAddress). */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): ClientAddress {
    return clientAddress(peer, forwardedFor, this.#ranges);
  }
}
