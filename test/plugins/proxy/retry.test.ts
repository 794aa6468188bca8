// What retries mean for Hawk signing: each attempt signed afresh, with the credentials current
// then. The retries themselves, for every forwarding plugin: test/net/forwarder/forwarding.test.ts.
import t from 'tap';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway } from './gateway.js';

t.test('retries through the proxy', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());

  t.test('each attempt is signed anew and accepted', async (t) => {
    tc.route({ path: '/api/queue/v1/flaky', status: 503, times: 1 });
    tc.route({ path: '/api/queue/v1/flaky', status: 429, times: 1 });
    const before = tc.requests.length;
    const res = await fetch(`${gw.url}/queue/v1/flaky`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    t.equal(res.status, 200);
    const attempts = tc.requests.slice(before);
    t.same(attempts.map((a) => a.clientId), Array(3).fill(clients.worker.clientId), 'every attempt authenticated, the body in its payload hash');
    t.equal(new Set(attempts.map((a) => a.headers.authorization)).size, 3, 'each attempt signed anew');
  });

  t.test('a retry is logged as a warning naming its request', async (t) => {
    const logLines: Array<Record<string, unknown>> = [];
    const logged = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), logLines });
    t.teardown(() => logged.close());
    tc.route({ path: '/api/queue/v1/logged', status: 503, times: 1 });
    t.equal((await fetch(`${logged.url}/queue/v1/logged`)).status, 200);
    const retry = logLines.find((l) => l.msg === 'upstream answered with a retryable status; retrying');
    t.match(retry, { level: 40, reqId: String, statusCode: 503, retry: 1, upstream: tc.rootUrl }, 'the warning carries the request id');
    t.notOk(logLines.some((l) => l.msg === 'request completed'), 'proxied requests have no info line by default');
  });

  t.test('a credential swap between attempts signs the retry with the new credentials', async (t) => {
    const removeFirst = tc.route({ path: '/api/queue/v1/swap', status: 503, times: 1 });
    const arrived = tc.nextRequest('/api/queue/v1/swap');
    const pending = fetch(`${gw.url}/queue/v1/swap`);
    await arrived;
    gw.holder.swap(permanent(clients.other));
    const echo = await (await pending).json();
    t.equal(echo.clientId, clients.other.clientId);
    removeFirst();
    gw.holder.swap(permanent(clients.worker));
  });
});
