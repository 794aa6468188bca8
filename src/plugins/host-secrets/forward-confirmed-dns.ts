/**
 * Forward-confirmed reverse DNS: the one proof of identity host-secrets accepts. The address
 * must have exactly one PTR name, made of letters, digits, `-` and `.`, and that name's A (or
 * AAAA) records must be exactly that address (or, relaxed, include it).
 */
import { Resolver } from 'node:dns/promises';
import { addressText, parseAddress, reverseLookupName, type Address } from '../../net/addresses.js';

export type ForwardMatch = 'exact' | 'among';

export interface DnsCheckOptions {
  /** `host:port` or `[v6]:port` entries; empty = the system's resolvers (/etc/resolv.conf). */
  servers: string[];
  /** Longest time the PTR and forward look-ups of one request may take together. */
  timeoutMs: number;
  forwardMatch: ForwardMatch;
}

export type DnsVerdict = { hostname: string } | { refusal: string };

const HOSTNAME_CHARACTERS = /^[a-zA-Z0-9.-]+$/;

/** Error codes of node:dns meaning "the name has no such records", as opposed to a failed look-up. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

class LookupFailure extends Error {}

/** Throws when c-ares refuses `servers` (host:port entries), so that a bad setting stops the start. */
export function checkDnsServers(servers: string[]): void {
  if (servers.length > 0) new Resolver().setServers(servers);
}

export class ForwardConfirmedDns {
  readonly #resolver: Resolver;
  readonly #options: DnsCheckOptions;

  constructor(options: DnsCheckOptions) {
    this.#options = options;
    // c-ares retries a lost packet within the deadline; the deadline itself is enforced below,
    // because c-ares's own back-off can run several times longer than its first timeout.
    this.#resolver = new Resolver({ timeout: Math.max(1, Math.floor(options.timeoutMs / 3)), tries: 2 });
    if (options.servers.length > 0) this.#resolver.setServers(options.servers);
  }

  /** The host name proven for an address, or why there is none; answers within the deadline. */
  async verify(address: Address): Promise<DnsVerdict> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<DnsVerdict>((resolve) => {
      timer = setTimeout(() => resolve({ refusal: `DNS look-ups did not answer within ${this.#options.timeoutMs} ms` }), this.#options.timeoutMs);
    });
    try {
      return await Promise.race([this.#check(address), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #check(address: Address): Promise<DnsVerdict> {
    const ip = addressText(address);
    try {
      const names = await this.#lookup(() => this.#resolver.resolvePtr(reverseLookupName(address)), `PTR look-up of ${ip}`);
      if (names.length === 0) return { refusal: `no PTR record for ${ip}` };
      if (names.length > 1) return { refusal: `${names.length} PTR records for ${ip}; exactly one is required` };
      // DNS names are case-insensitive and may carry the root's trailing dot; scopes are neither.
      const hostname = names[0]!.replace(/\.$/, '').toLowerCase();
      if (!HOSTNAME_CHARACTERS.test(hostname)) return { refusal: `PTR name ${JSON.stringify(hostname)} has characters other than letters, digits, - and .` };
      const type = address.kind() === 'ipv4' ? 'A' : 'AAAA';
      const forward = await this.#lookup(
        () => (type === 'A' ? this.#resolver.resolve4(hostname) : this.#resolver.resolve6(hostname)),
        `${type} look-up of ${hostname}`,
      );
      if (forward.length === 0) return { refusal: `${hostname} (PTR of ${ip}) has no ${type} record` };
      const matches = forward.map((record) => parseAddress(record)).filter((a) => a !== undefined && addressText(a) === ip);
      const confirmed = this.#options.forwardMatch === 'exact' ? forward.length === 1 && matches.length === 1 : matches.length > 0;
      if (!confirmed) {
        const wanted = this.#options.forwardMatch === 'exact' ? `exactly ${ip}` : `${ip} among them`;
        return { refusal: `${type} records of ${hostname} are [${forward.join(', ')}], not ${wanted}` };
      }
      return { hostname };
    } catch (err) {
      if (err instanceof LookupFailure) return { refusal: err.message };
      throw err;
    }
  }

  /** Records of a look-up; "no such records" is an empty list, any other failure a LookupFailure. */
  async #lookup(query: () => Promise<string[]>, what: string): Promise<string[]> {
    try {
      return await query();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      if (NO_RECORDS.has(code)) return [];
      throw new LookupFailure(`${what} failed: ${code}`);
    }
  }
}
