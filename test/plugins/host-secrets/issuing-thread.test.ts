// The issuing thread on its own: answers by id, reports a failed request as an error, and
// serves again after it was stopped.
import t from 'tap';
import { IssuingThread } from '../../../src/plugins/host-secrets/issuing-thread.js';
import { clientIdBase, issuer, scopeBase } from './harness.js';
import { ptrName, startZoneServer } from './zone-server.js';

const zone = await startZoneServer({
  PTR: { [ptrName('127.0.0.5')]: ['a.test.example.com'], [ptrName('127.0.0.6')]: ['b.test.example.com'] },
  A: { 'a.test.example.com': ['127.0.0.5'], 'b.test.example.com': ['127.0.0.6'] },
});
t.teardown(() => zone.close());

const thread = new IssuingThread({
  dns: { servers: [zone.server], timeoutMs: 2000, forwardMatch: 'exact' },
  policy: { scopeBase, clientIdBase, lifetimeMs: 3600_000, issuer },
});
t.teardown(() => thread.close());

t.test('requests in flight together each get the answer for their own address', async (t) => {
  const [a, b, none] = await Promise.all([thread.issue('127.0.0.5'), thread.issue('127.0.0.6'), thread.issue('127.0.0.7')]);
  t.match(a, { hostname: 'a.test.example.com', issued: { clientId: `${clientIdBase}com.example.test.a` } });
  t.match(b, { hostname: 'b.test.example.com', issued: { clientId: `${clientIdBase}com.example.test.b` } });
  t.same(none, { refusal: 'no PTR record for 127.0.0.7' });
  t.ok('issued' in a && a.issued.expires instanceof Date, 'the expiry crosses as a Date');
});

t.test('a request the thread cannot serve fails alone', async (t) => {
  await t.rejects(thread.issue('not an address'), /issuing thread: "not an address" is not an IP address/);
  t.match(await thread.issue('127.0.0.5'), { hostname: 'a.test.example.com' });
});

t.test('after close, the next request starts a new thread', async (t) => {
  await thread.close();
  t.match(await thread.issue('127.0.0.6'), { hostname: 'b.test.example.com' });
});
