// dnsmasq on a loopback port, answering PTR and A for a generated fleet of hosts from its own
// hosts file and nothing else (no upstream, no /etc/hosts), TTL 0 so no resolver cache helps.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';

export interface Host {
  ip: string;
  name: string;
}

export interface Dnsmasq {
  server: string;
  version: string;
  close(): Promise<void>;
}

/** `count` hosts on 127.1.x.y (y in 1..250), each its own loopback source address. */
export function fleet(count: number, domain: string): Host[] {
  return Array.from({ length: count }, (_, i) => ({ ip: `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, name: `h${i}.${domain}` }));
}

function dnsmasqBinary(): string {
  const found = () => spawnSync('sh', ['-c', 'command -v dnsmasq'], { encoding: 'utf8' }).stdout.trim();
  if (found()) return found();
  console.log('dnsmasq missing: apt-get install -y dnsmasq-base');
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'dnsmasq-base'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0 || !found()) throw new Error('dnsmasq is not installed and apt-get could not install dnsmasq-base');
  return found();
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startDnsmasq(hosts: Host[]): Promise<Dnsmasq> {
  const binary = dnsmasqBinary();
  const dir = mkdtempSync(join(tmpdir(), 'host-secrets-bench-'));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, hosts.map((h) => `${h.ip} ${h.name}\n`).join(''));
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(binary, [
    '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--addn-hosts=${hostsFile}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, '--local-ttl=0', '--pid-file=', '--user=root',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const server = `127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it answers the first host's PTR.
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([server]);
  const reverse = `${hosts[0]!.ip.split('.').reverse().join('.')}.in-addr.arpa`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await probe.resolvePtr(reverse))[0] === hosts[0]!.name) break;
    } catch (err) {
      if (attempt >= 50 || child.exitCode !== null) {
        await close();
        throw new Error(`dnsmasq did not answer on ${server}: ${(err as Error).message} ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const version = /^Dnsmasq version \S+/.exec(spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout)?.[0] ?? 'dnsmasq';
  return { server, version, close };
}
