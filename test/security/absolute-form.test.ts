// An absolute-form request target (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2: what a
// client configured with an HTTP proxy sends) is read as Fastify's router reads it, by what
// follows its authority, everywhere the target is read after routing: the proxy resolved
// `http://evil.example/queue/...` as the service `ttp:` (404 "ttp: is not a valid taskcluster
// service"), relengapi found no prefix (404). The authority names nothing (the listener reached
// is what was addressed): the request goes where its path says, never to the authority's host.
import { request } from 'node:http';
import t from 'tap';
import { originForm } from '../../src/net/request-target.js';
import { startFakeTaskcluster } from '../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway } from '../plugins/proxy/gateway.js';
import { setup } from '../plugins/relengapi/gateway-setup.js';

const portOf = (url: string) => Number(new URL(url).port);

/** GET with `target` as the request target, as written (node:http sends a path as given). */
function get(url: string, target: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: portOf(url), path: target }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    }).on('error', reject).end();
  });
}

t.test('the origin form of a target, as the router reads it', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['/queue/v1/x?y=1', '/queue/v1/x?y=1'],
    ['http://evil.example/queue/v1/x?y=1', '/queue/v1/x?y=1'],
    ['HTTPS://evil.example:8443/a%2Fb/../c', '/a%2Fb/../c'],
    ['http://evil.example', '/'],
    ['http://evil.example?q=/x', '/?q=/x'],
    ['http://user@evil.example//x', '//x'],
    ['*', undefined],
    ['evil.example:443', undefined],
    ['ftp://evil.example/x', undefined],
    ['http:///x', undefined],
    ['http://evil.example#/x', undefined],
  ];
  for (const [target, expected] of cases) t.equal(originForm(target), expected, target);
});

t.test('the proxy forwards an absolute-form target by its path, to the root URL, signed', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());
  for (const target of ['http://evil.example/queue/v1/x%2Fy/../z?a=%2F', `http://127.0.0.1:${portOf(gw.url)}/api/queue/v1/x%2Fy/../z?a=%2F`]) {
    const { status, body } = await get(gw.url, target);
    t.equal(status, 200, target);
    t.same([body.path, body.query, body.clientId], ['/api/queue/v1/x%2Fy/../z', 'a=%2F', clients.worker.clientId], `${target}: the path kept byte for byte, signed`);
  }
  const refused = await get(gw.url, 'http://user:hunter2@evil.example/not-a-service!/x');
  t.same([refused.status, refused.body.code, refused.body.message], [404, 'ResourceNotFound', 'not-a-service! is not a valid taskcluster service'], 'refusals name the path\'s segment');
});

t.test('relengapi forwards an absolute-form target by its path', async (t) => {
  const { relengapi, start } = await setup(t);
  const { url } = await start();
  const { status, body } = await get(url, 'http://evil.example/tooltool/sha512/ab%2Fcd?x=1');
  t.equal(status, 200);
  t.same([body.path, body.query, body.headers.host], ['/sha512/ab%2Fcd', 'x=1', new URL(relengapi.url).host], 'to the service its prefix names, path kept');
  const unknown = await get(url, 'http://user:hunter2@evil.example/treestatus/x');
  t.same([unknown.status, unknown.body.code], [404, 'ResourceNotFound']);
  t.match(unknown.body.message, /^No route for GET \/treestatus\/x$/, 'the message quotes the path, as the router read it');
});
