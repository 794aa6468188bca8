// The two measured loads: the floor (Node's resolver doing only the PTR and A look-ups a
// DNS-checking issuer must do) and the gateway (each host asking once, from its own address).
import { connect } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { Host } from './dnsmasq.js';

export interface Round<R> {
  results: R[];
  seconds: number;
}

/** Run `work` over every item with at most `concurrency` in flight; time the whole. */
export async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<Round<R>> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { results, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** PTR then A for every host; true when both name the host and its address. A new resolver per round, so nothing is cached. */
export function floorRound(hosts: Host[], server: string, concurrency: number): Promise<Round<boolean>> {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([server]);
  return inParallel(hosts, concurrency, async (host) => {
    const names = await resolver.resolvePtr(`${host.ip.split('.').reverse().join('.')}.in-addr.arpa`);
    const addresses = await resolver.resolve4(names[0]!);
    return names.length === 1 && names[0] === host.name && addresses.length === 1 && addresses[0] === host.ip;
  });
}

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** A gateway row's slice: every answer, the time taken and the load generator's own CPU time. */
export interface GatewayRound extends Round<Answer> {
  generatorCpuUs: number;
}

/** The bytes each host sends, whichever generator sends them. */
export const requestText = (url: URL, path: string) => `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`;

/** One GET on its own connection from the host's address, written and read as raw HTTP/1.1. */
function ask(url: URL, path: string, localAddress: string): Promise<Answer> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => socket.write(requestText(url, path)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), ms: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}

/**
 * The fallback generator, in this process, for a machine without a C compiler: every host asks
 * `path` once, from its own address. Its CPU (this whole process's) competes with the gateway's.
 */
export async function nodeGatewayRound(hosts: Host[], url: URL, path: string, concurrency: number): Promise<GatewayRound> {
  const cpuAtStart = process.cpuUsage();
  const round = await inParallel(hosts, concurrency, (host) => ask(url, path, host.ip));
  const { user, system } = process.cpuUsage(cpuAtStart);
  return { ...round, generatorCpuUs: user + system };
}
