// Issue 12 §5: bearer material in a request URL (bootstrap tokens, bewits, tokens in the query,
// credentials of an embedded URL) never reaches a log line, on every listener and plugin that
// logs URLs; the one req serializer (src/log.ts) is what they all use.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/load.js';
import { createLogger, loggedToken } from '../src/log.js';
import { buildGateway } from '../src/server.js';
import { startFakeTaskcluster } from './helpers/fake-taskcluster.js';
import { startHostSecrets } from './plugins/host-secrets/harness.js';
import { permanent, clients as proxyClients, startGateway as startProxy } from './plugins/proxy/gateway.js';
import { setup as relengapiSetup } from './plugins/relengapi/gateway-setup.js';
import { startGateway as startSecrets } from './plugins/secrets/gateway.js';
import { sqliteBackend } from './plugins/secrets/store/sqlite-backend.js';

const unique = (what: string) => `${what}-${randomBytes(8).toString('hex')}`;
const TOKEN = unique('bootstrap-token');
const BEWIT = unique('bewit-value');
const ACCESS = unique('access-token');
const PASSWORD = unique('password');

/** Paths under `prefix` that carry bearer material, each in a form a client may send. */
const bearerPaths = (prefix: string) => [
  `${prefix}/api/secrets/v1/bootstrap/${TOKEN}`,
  `${prefix}/secrets/v1/bootstrap%2F${TOKEN}?x=1`,
  `${prefix}/api/secrets/v1/%62ootstrap/${TOKEN}`,
  `${prefix}/thing?a=1&bewit=${BEWIT}&b=2`,
  `${prefix}/thing?%62ewit=${BEWIT}`,
  `${prefix}/thing?access_token=${ACCESS}&Token=${ACCESS}`,
  `${prefix}/https://user:${PASSWORD}@allowed.invalid/thing`,
  // a signed URL passed escaped, as a path segment or a query value
  `${prefix}/thing/${encodeURIComponent(`https://queue.invalid/x?bewit=${BEWIT}`)}`,
  `${prefix}/thing?next=${encodeURIComponent(`https://user:${PASSWORD}@queue.invalid/x?token=${ACCESS}`)}`,
];

/** GET with the path sent exactly as written (no URL normalisation). */
function rawGet(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base, { path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sendAll(base: string, prefix: string, paths = bearerPaths(prefix)): Promise<void> {
  for (const path of paths) await rawGet(base, path);
}

function assertRedacted(t: Test, log: string, what: string, embedded = true): void {
  for (const secret of [TOKEN, BEWIT, ACCESS, PASSWORD]) t.notMatch(log, secret, `${what}: ${secret.replace(/-\w+$/, '')} not logged`);
  t.match(log, loggedToken(TOKEN), `${what}: the bootstrap token's fingerprint is logged instead`);
  t.match(log, 'bewit=[REDACTED]', `${what}: the bewit's place is kept`);
  t.match(log, '%62ewit=[REDACTED]', `${what}: an encoded parameter name is still a bewit`);
  if (embedded) t.match(log, '//[REDACTED]@allowed.invalid', `${what}: credentials of an embedded URL`);
}

function sink(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  return { log: createLogger('info', new Writable({ write(c, _e, done) { lines.push(String(c)); done(); } })), text: () => lines.join('') };
}

t.test('proxy with --proxy-log-requests (with bewit and credentials)', async (t) => {
  const tc = await startFakeTaskcluster();
  t.teardown(() => tc.close());
  const lines: Array<Record<string, unknown>> = [];
  const gw = await startProxy({ rootUrl: tc.rootUrl, credentials: permanent(proxyClients.worker), logLines: lines, proxy: { logRequests: true, allowedHosts: ['allowed.invalid'] } });
  t.teardown(() => gw.close());
  await sendAll(gw.url, '');
  assertRedacted(t, JSON.stringify(lines), 'proxy');
});

t.test('secrets plugin, in an app whose logger has no serializer of ours: its own routes', async (t) => {
  const gw = await startSecrets(t, await sqliteBackend.fresh(t));
  // (a secret's name is logged, as the audit needs: the paths here are bootstrap tokens and queries)
  await sendAll(gw.rootUrl, '', [
    `/api/secrets/v1/bootstrap/${TOKEN}`,
    `/api/secrets/v1/bootstrap/${TOKEN}?bewit=${BEWIT}`,
    `/api/secrets/v1/%62ootstrap/${TOKEN}`,
    `/api/secrets/v1/secret/x?%62ewit=${BEWIT}&access_token=${ACCESS}`,
  ]);
  assertRedacted(t, gw.logText(), 'secrets', false);
});

t.test('relengapi proxy', async (t) => {
  const relengapi = await (await relengapiSetup(t)).start();
  await sendAll(relengapi.url, '/tooltool');
  assertRedacted(t, relengapi.logs(), 'relengapi');
});

t.test('host-secrets', async (t) => {
  const hs = await startHostSecrets(t, {});
  await sendAll(hs.url, '/v1');
  assertRedacted(t, JSON.stringify(hs.logs), 'host-secrets');
});

t.test('a gateway listener with Dockerflow only, and the admin listener', async (t) => {
  const { log, text } = sink();
  const loaded = loadConfig({ argv: ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.1', port: 0, plugins: [] }])] });
  loaded.core.adminPort = 1; // enables the admin listener; bound below on an ephemeral port
  const gateway = await buildGateway(loaded, { log, quickstart: true });
  t.teardown(() => gateway.close());
  await sendAll(await gateway.listeners[0]!.app.listen({ host: '127.0.0.1', port: 0 }), '/__heartbeat__');
  assertRedacted(t, text(), 'listener');
  await sendAll(await gateway.admin!.listen({ host: '127.0.0.1', port: 0 }), '/metrics');
  t.match(text(), '"listener":"admin"', 'the admin listener logged too');
  assertRedacted(t, text(), 'admin listener');
});
