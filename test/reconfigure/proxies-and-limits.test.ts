// Trusted proxies and rate limits change with a reload (issue 17 §3), on a real listener: the
// gateway built as the bins build it, host-secrets served, its config file rewritten between
// reloads. Every request is refused by the allow-list (10.0.0.0/8) before any DNS look-up, and
// the refusal names the client address the gateway took: the peer, or X-Forwarded-For's when
// the peer is a trusted proxy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { hostSecretsModule } from '../../src/plugins/host-secrets/capability.js';
import { baseEnv } from '../plugins/host-secrets/harness.js';
import { gatewayWithAdmin } from '../helpers/metrics.js';

const CLIENT = '192.0.2.7';

async function hostSecretsGateway(t: Test) {
  const config = join(t.testdir(), 'host-secrets.yml');
  /** The config file: allow-list 10.0.0.0/8, the rate limit and trusted proxies given. */
  const writeConfig = (perMinute: number | string, trustedProxies: string[]) => writeFileSync(config, [
    `trustedProxies: ${JSON.stringify(trustedProxies)}`,
    'hostSecrets:',
    '  allowedIps: [10.0.0.0/8]',
    `  rateLimitPerMinute: ${perMinute}`,
  ].join('\n') + '\n');
  writeConfig(3, []);
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('info', new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((l: string) => JSON.parse(l)));
      done();
    },
  }));
  // the allow-list comes from the file: the environment would win over it
  const { TASKCLUSTER_ALLOWED_IPS: _fromFile, ...env } = baseEnv;
  const argv = ['--listeners', JSON.stringify([{ name: 'hosts', host: '127.0.0.1', port: 0, plugins: ['host-secrets'] }]), '--config', config];
  const load = () => loadConfig({ argv, env, modules: [hostSecretsModule] });
  const { gateway, urls } = await gatewayWithAdmin(t, load(), { log });
  /** One credentials request, forwarded for CLIENT or not: its status and the address its refusal names. */
  const ask = async (forwarded: boolean) => {
    const res = await fetch(`${urls.hosts}/v1/credentials`, { headers: forwarded ? { 'x-forwarded-for': CLIENT } : {} });
    const body = await res.json() as { message: string };
    return { status: res.status, client: /Remote IP not allowed: (\S+) is not in the allowed addresses/.exec(body.message)?.[1] };
  };
  /** Fastify's own idea of the client (request.ip, trustProxy), as the request log line has it. */
  const loggedAddress = async () => {
    const before = lines.length;
    t.equal((await fetch(`${urls.hosts}/v1/ping`, { headers: { 'x-forwarded-for': CLIENT } })).status, 200);
    return lines.slice(before).find((l) => l.msg === 'request completed')?.req?.remoteAddress;
  };
  return { writeConfig, lines, ask, loggedAddress, reload: () => gateway.reconfigure(load) };
}

t.test('a reload changes the trusted proxies and the rate limit for the next request', async (t) => {
  const gw = await hostSecretsGateway(t);
  t.same(await gw.ask(true), { status: 403, client: '127.0.0.1' }, 'no trusted proxy: the peer is the client, whatever it forwards');
  t.equal(await gw.loggedAddress(), '127.0.0.1');
  t.same(await gw.ask(false), { status: 403, client: '127.0.0.1' });
  t.same(await gw.ask(false), { status: 403, client: '127.0.0.1' });
  t.equal((await gw.ask(false)).status, 429, 'the 4th request of 127.0.0.1 this minute is over the limit of 3');

  gw.writeConfig(5, ['127.0.0.1']);
  t.match(await gw.reload(), { result: 'applied', needsRestart: [] });
  t.same(await gw.ask(true), { status: 403, client: CLIENT }, 'the loopback peer is now a trusted proxy: the client is the one it forwards for');
  t.equal(await gw.loggedAddress(), CLIENT, 'request.ip follows too');
  t.same(await gw.ask(false), { status: 403, client: '127.0.0.1' }, 'the 5th request of 127.0.0.1: within the new limit of 5');
  t.equal((await gw.ask(false)).status, 429, 'the 6th is over it');

  gw.writeConfig(0, ['127.0.0.1']);
  t.match(await gw.reload(), { result: 'applied', needsRestart: [] });
  t.same(await gw.ask(false), { status: 403, client: '127.0.0.1' }, '0: unlimited');

  gw.writeConfig(1, []);
  t.match(await gw.reload(), { result: 'applied', needsRestart: [] });
  // 127.0.0.1 has asked 7 times this minute, the forwarded address once
  t.equal((await gw.ask(true)).status, 429, 'no trusted proxy again, and a limit of 1 again: the peer is the client, and over it');
  t.equal(await gw.loggedAddress(), '127.0.0.1');
});

t.test('a bad trusted proxy or rate limit changes nothing', async (t) => {
  const gw = await hostSecretsGateway(t);
  gw.writeConfig(2, ['127.0.0.1']);
  t.match(await gw.reload(), { result: 'applied' });

  gw.writeConfig(50, ['proxy.example.com']);
  const before = gw.lines.length;
  t.match(await gw.reload(), {
    result: 'refused',
    error: /^setting trustedProxies \(GATEWAY_TRUSTED_PROXIES, --trusted-proxies\): "proxy\.example\.com" is not an IP address or CIDR \(config files: .*host-secrets\.yml\)$/,
  });
  t.equal(gw.lines.slice(before).filter((l) => l.level >= 50).length, 1, 'one error line');
  gw.writeConfig(-1, []);
  t.match(await gw.reload(), { result: 'refused', error: /^hostSecrets\.rateLimitPerMinute in config file .*host-secrets\.yml: must be a positive integer, got -1$/ });

  t.same(await gw.ask(true), { status: 403, client: CLIENT }, 'the trusted proxies in force are the last applied');
  t.same(await gw.ask(true), { status: 403, client: CLIENT });
  t.equal((await gw.ask(true)).status, 429, 'so is the limit of 2');
});
