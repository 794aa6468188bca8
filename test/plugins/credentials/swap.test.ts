// Credential swaps never wait (corrections.md): 200 requests in flight across a swap, each signed
// wholly with the old or the new credentials; a swap answers while an upstream hangs; a client
// that goes away cancels its upstream request (taskcluster-proxy's hung_upstream_test).
import t from 'tap';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway, temporary } from '../proxy/gateway.js';

t.test('200 concurrent requests across a swap', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const oldCredentials = temporary(clients.worker, ['queue:*']);
  const newCredentials = temporary(clients.other, ['queue:*']);
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: oldCredentials, authorizedScopes: ['queue:get-task:*'] });
  t.teardown(() => gw.close());

  // ten waves of 20 requests, a few ms apart, the swap sent in the middle: requests are in flight on both sides of it
  const requests: Array<Promise<Response>> = [];
  let swapping: Promise<Response> | undefined;
  for (let wave = 0; wave < 10; wave++) {
    if (wave === 5) swapping = fetch(`${gw.url}/credentials`, { method: 'PUT', body: JSON.stringify(newCredentials) });
    for (let i = 0; i < 20; i++) {
      const n = wave * 20 + i;
      requests.push(fetch(`${gw.url}/queue/v1/task/${n}`, n % 2 ? { method: 'POST', body: `{"n":${n}}` } : {}));
    }
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  const swap = await swapping!;
  t.equal(swap.status, 200, 'the swap answers');
  const answers = await Promise.all(requests.map(async (pending) => {
    const r = await pending;
    return { status: r.status, echo: await r.json(), header: r.headers.get('x-taskcluster-proxy-temp-clientid') };
  }));
  t.same(answers.filter((a) => a.status !== 200), [], 'none fails: the upstream verified every signature, certificate and authorizedScopes');
  const signers = answers.map((a) => a.echo.clientId);
  t.ok(signers.every((c) => c === clients.worker.clientId || c === clients.other.clientId), 'each signed wholly by one or the other');
  t.ok(answers.every((a) => a.header === a.echo.clientId), 'the identity headers name the credentials that signed');
  t.ok(answers.every((a) => a.echo.scopes.includes('queue:get-task:*') && !a.echo.scopes.includes('queue:*')), 'authorizedScopes kept across the swap');
  const signedOld = signers.filter((c) => c === clients.worker.clientId).length;
  t.ok(signedOld > 0 && signedOld < 200, `both credentials signed some (old: ${signedOld}, new: ${200 - signedOld})`);
  const after = await (await fetch(`${gw.url}/queue/v1/after`)).json();
  t.equal(after.clientId, clients.other.clientId, 'requests after the swap use the new credentials');
});

t.test('a swap answers while an upstream request hangs; a client going away cancels it', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  tc.route({ path: '/api/queue/v1/hang', hang: true });
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());

  const client = new AbortController();
  const arrived = tc.nextRequest('/api/queue/v1/hang');
  const hanging = fetch(`${gw.url}/queue/v1/hang`, { signal: client.signal }).catch((err: Error) => err.name);
  const upstream = await arrived;

  const started = Date.now();
  const swap = await fetch(`${gw.url}/credentials`, { method: 'PUT', body: JSON.stringify(permanent(clients.other)), signal: AbortSignal.timeout(5000) });
  t.equal(swap.status, 200, 'PUT /credentials answers within 5 s (TestCredentialsUpdateNotBlockedByPendingRequest)');
  t.ok(Date.now() - started < 1000, `at once (${Date.now() - started} ms)`);
  t.equal((await (await fetch(`${gw.url}/queue/v1/next`)).json()).clientId, clients.other.clientId, 'new requests sign with the new credentials meanwhile');

  client.abort();
  t.equal(await hanging, 'AbortError');
  const cancelled = await Promise.race([upstream.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 5000))]);
  t.equal(cancelled, true, 'the upstream request was cancelled (TestUpstreamRequestCancelledWhenClientDisconnects)');
});
