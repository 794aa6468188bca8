// An error body that quotes the request's path (the message for no route or no RelengAPI
// service; requestInfo.params, where a proxy's wildcard holds the whole path) shows it as the logs do: a bootstrap token as its fingerprint, `&bewit=` and an embedded URL's userinfo
// replaced. The body goes back to a client that may print it; the token in it would be claimable.
import { join } from 'node:path';
import t from 'tap';
import { loggedToken } from '../../src/log.js';
import { rawJsonExchange } from '../helpers/raw-request.js';
import { loggedGateway } from '../plugins/secrets/configured-gateway.js';
import { setup } from '../plugins/relengapi/gateway-setup.js';
import { clients, permanent, startGateway } from '../plugins/proxy/gateway.js';

const TOKEN = 'qN5ABlGiMstBMCkG4TEgnmgGCKICL2Alfm3G2vd2WmI';
const BEWIT = 'cm9vdFwxNzk2MDU0ODMzXHcza3R5UTBx';

/** One request as written (fetch would resolve `..` and refuse some targets). */
const send = (port: number, method: string, target: string) =>
  rawJsonExchange(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);

/** [method, target, the path as the message must quote it] */
const CASES: Array<[string, string, string]> = [
  ['POST', `/api/secrets/v1/bootstrap/${TOKEN}`, `/api/secrets/v1/bootstrap/${loggedToken(TOKEN)}`],
  ['PATCH', `/api/secrets/v1/bootstrap/${TOKEN}?x=1`, `/api/secrets/v1/bootstrap/${loggedToken(TOKEN)}`],
  ['GET', `/api/secrets/v1/bootstrap/${TOKEN}/more`, `/api/secrets/v1/bootstrap/${loggedToken(TOKEN)}/more`],
  ['GET', `/api/secrets/v1/%62ootstrap/${TOKEN}/more`, `/api/secrets/v1/%62ootstrap/${loggedToken(TOKEN)}/more`],
  ['GET', `/nowhere&bewit=${BEWIT}/x`, '/nowhere&bewit=[REDACTED]/x'],
  ['GET', '/x/https://user:hunter2@evil.example/y', '/x/https://[REDACTED]@evil.example/y'],
];

t.test('no route: the message quotes the path without its bearer material', async (t) => {
  const dir = t.testdir();
  // no load shedding: a machine busy with other tests would answer 503 in place of the 404 under test
  const { url } = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, ['--max-event-loop-delay-ms', '0']);
  const port = Number(new URL(url).port);
  for (const [method, target, quoted] of CASES) {
    const answer = await send(port, method, target);
    t.equal(answer.status, 404, `${method} ${target}`);
    t.equal(answer.body.message, `No route for ${method} ${quoted}`, `${method} ${target}: quoted as the logs show it`);
    const text = JSON.stringify(answer.body);
    t.notOk(text.includes(TOKEN) || text.includes(BEWIT) || text.includes('hunter2'), 'no bearer material anywhere in the body');
  }
});

t.test('no RelengAPI service: the message quotes the path without its bearer material', async (t) => {
  const { start } = await setup(t);
  const { url } = await start();
  const port = Number(new URL(url).port);
  // the router matched the decoded prefix; only the literal one is proxied
  const answer = await send(port, 'GET', `/%74ooltool/x&bewit=${BEWIT}`);
  t.equal(answer.status, 404);
  t.match(answer.body.message, /^No RelengAPI service for \/%74ooltool\/x&bewit=\[REDACTED\] \(prefixes: /);
  t.notOk(JSON.stringify(answer.body).includes(BEWIT), JSON.stringify(answer.body));
});

t.test('the proxy: requestInfo.params quotes its wildcard without the bearer material in it', async (t) => {
  const gw = await startGateway({ rootUrl: 'http://127.0.0.1:9', credentials: permanent(clients.worker), proxy: { allowedHosts: ['storage.example.com'] } });
  t.teardown(() => gw.close());
  const port = Number(new URL(gw.url).port);
  const cases: Array<[string, string]> = [
    [`/evil.example.com/x&bewit=${BEWIT}`, 'evil.example.com/x&bewit=[REDACTED]'],
    [`/evil.example.com/bootstrap/${TOKEN}`, `evil.example.com/bootstrap/${loggedToken(TOKEN)}`],
    ['/evil.example.com/https://user:hunter2@storage.example.com/', 'evil.example.com/https://[REDACTED]@storage.example.com/'],
  ];
  for (const [target, quoted] of cases) {
    const answer = await send(port, 'GET', target);
    t.equal(answer.status, 403, target);
    t.same(answer.body.requestInfo.params, { '*': quoted }, `${target}: quoted as the logs show it`);
    const text = JSON.stringify(answer.body);
    t.notOk(text.includes(TOKEN) || text.includes(BEWIT) || text.includes('hunter2'), 'no bearer material anywhere in the body');
  }
  // the first segment names no service: the message quotes it
  const unnamed = await send(port, 'GET', `/x&bewit=${BEWIT}/y`);
  t.equal(unnamed.status, 404);
  t.equal(unnamed.body.message, 'x&bewit=[REDACTED] is not a valid taskcluster service');
  t.notOk(JSON.stringify(unnamed.body).includes(BEWIT), 'no bearer material anywhere in the body');
});
