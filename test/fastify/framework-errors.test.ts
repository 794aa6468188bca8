// Issue 12 §5: every answer a gateway listener writes a body for is Taskcluster's
// {code, message, requestInfo}, the framework's own included: a table of framework-level
// failures × listener kind × status × the whole body, over raw sockets (no client library
// tidies the requests up).
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { pluginModules } from '../../src/plugins/registry.js';
import { MAX_JSON_DEPTH } from '../../src/core/json-body.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, gatewayApp } from '../../src/server.js';
import { assertErrorBody, type ExpectedError } from '../helpers/error-body.js';
import { inProcessFlags } from '../helpers/in-process.js';

interface Answer { status: number; headers: string; body: unknown }

/** Parses the HTTP/1.1 responses in `data` (each with a Content-Length). */
function parseAnswers(data: Buffer): Answer[] {
  const answers: Answer[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const headers = rest.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
    const text = rest.subarray(end + 4, end + 4 + length).toString('utf8');
    answers.push({ status: Number(headers.split(' ')[1]), headers, body: text ? JSON.parse(text) : undefined });
    rest = rest.subarray(end + 4 + length);
  }
  return answers;
}

/** Sends `raw` bytes on a new connection and reads until the server closes it. */
function exchange(url: string, raw: string | Buffer): Promise<Answer[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => socket.write(raw));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => resolve(parseAnswers(Buffer.concat(chunks))));
  });
}

const request = (head: string, body = '') => `${head}\r\nHost: gateway\r\nConnection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;
const json = (method: string, path: string, body: string) => request(`${method} ${path} HTTP/1.1\r\nContent-Type: application/json`, body);
const deep = '['.repeat(20_000) + ']'.repeat(20_000);

interface Row extends ExpectedError { name: string; raw: string; status: number }

/** Failures at the HTTP layer, before any route: the same on every listener, whatever its plugins. */
const httpRows: Row[] = [
  { name: 'oversized header', raw: request(`GET /nowhere HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}`), status: 431, code: 'RequestHeaderFieldsTooLarge', message: 'The request headers are larger than the server accepts', method: 'GET' },
  { name: 'Content-Length not a number', raw: request('POST /nowhere HTTP/1.1\r\nContent-Length: abc'), status: 400, code: 'InputError', message: 'Malformed HTTP request: Invalid character in Content-Length', method: 'POST' },
  { name: 'two Content-Lengths', raw: request('POST /nowhere HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2'), status: 400, code: 'InputError', message: 'Malformed HTTP request: Duplicate Content-Length', method: 'POST' },
  { name: 'Content-Length with chunked', raw: request('POST /nowhere HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked'), status: 400, code: 'InputError', message: "Malformed HTTP request: Transfer-Encoding can't be present with Content-Length", method: 'POST' },
  { name: 'garbage request line', raw: 'no http here\r\n\r\n', status: 400, code: 'InputError', message: 'Malformed HTTP request: Invalid method encountered', method: '' },
  // Node hands CONNECT to a 'connect' listener, and with none closed the connection unanswered
  { name: 'CONNECT (a tunnel asked for)', raw: request('CONNECT tc.example.com:443 HTTP/1.1'), status: 405, code: 'MethodNotAllowed', message: 'CONNECT is not served: this gateway opens no tunnels; send the request itself to it', method: 'CONNECT' },
];

/** Failures in body parsing and routing where the listener's root context answers. */
const rootRows: Row[] = [
  { name: 'unknown route', raw: request('GET /nowhere?x=1 HTTP/1.1'), status: 404, code: 'ResourceNotFound', message: 'No route for GET /nowhere', method: 'GET' },
  { name: 'malformed JSON', raw: json('POST', '/nowhere', '{"password": "pw", oops'), status: 400, code: 'MalformedPayload', message: 'Failed to parse JSON payload', method: 'POST' },
  { name: 'JSON nested too deep', raw: json('POST', '/nowhere', deep), status: 400, code: 'InputError', message: `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, method: 'POST' },
  { name: 'body over the limit', raw: request('POST /nowhere HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2000000'), status: 413, code: 'PayloadTooLarge', message: 'Request body is too large', method: 'POST' },
  // (no parser is looked for on an unknown route: 404 comes first; 415 is a route's, below)
  { name: 'unknown route, unknown media type', raw: request('POST /nowhere HTTP/1.1\r\nContent-Type: text/xml', '<x/>'), status: 404, code: 'ResourceNotFound', message: 'No route for POST /nowhere', method: 'POST' },
];

const secretsRows: Row[] = [
  { name: 'undecodable URL (%zz)', raw: request('GET /api/secrets/v1/secret/a%zz HTTP/1.1'), status: 400, code: 'InputError', message: 'The URL has a percent-escape that does not decode (such as %zz)', method: 'GET' },
  { name: 'undecodable URL with a bewit: not echoed', raw: request('GET /api/secrets/v1/secret/a%zz?bewit=SECRETBEWIT HTTP/1.1'), status: 400, code: 'InputError', message: 'The URL has a percent-escape that does not decode (such as %zz)', method: 'GET' },
  { name: 'param over maxParamLength', raw: request(`GET /api/secrets/v1/bootstrap/${'t'.repeat(101)} HTTP/1.1`), status: 414, code: 'URITooLong', message: 'A URL parameter is longer than this gateway accepts', method: 'GET' },
  { name: 'body over the 10 MB limit', raw: request('PUT /api/secrets/v1/secret/x HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10485761'), status: 413, code: 'PayloadTooLarge', message: 'Request body is too large', method: 'PUT', params: { name: 'x' } },
  { name: 'unsupported media type', raw: request('PUT /api/secrets/v1/secret/x HTTP/1.1\r\nContent-Type: text/xml', '<x/>'), status: 400, code: 'InputError', message: 'Unsupported Media Type', method: 'PUT', params: { name: 'x' } },
  { name: 'unknown secrets route', raw: request('GET /api/secrets/v1/nope HTTP/1.1'), status: 404, code: 'ResourceNotFound', message: 'No route for GET /api/secrets/v1/nope', method: 'GET' },
];

const proxyRows: Row[] = [
  { name: 'undecodable URL on the proxy', raw: request('GET /queue/v1/a%zz HTTP/1.1'), status: 400, code: 'InputError', message: 'The URL has a percent-escape that does not decode (such as %zz)', method: 'GET' },
  { name: 'PUT /credentials nested too deep', raw: request('PUT /credentials HTTP/1.1', deep), status: 400, code: 'InputError', message: `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, method: 'PUT' },
];

async function check(t: Test, url: string, rows: Row[], listener: string): Promise<void> {
  for (const row of rows) {
    const answers = await exchange(url, row.raw);
    const what = `${listener}: ${row.name}`;
    t.equal(answers.length, 1, `${what}: one answer`);
    t.equal(answers[0]?.status, row.status, `${what}: status`);
    t.match(answers[0]?.headers, /\r\ncontent-type: application\/json; charset=utf-8/i, `${what}: JSON`);
    assertErrorBody(t, answers[0]?.body, row, what);
  }
}

t.test('every listener kind of a gateway', async (t) => {
  const dir = t.testdir({ 'clients.json': JSON.stringify({ clients: [], roles: [] }), 'keys.json': JSON.stringify({ keys: [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }] }) });
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(c, _e, done) { lines.push(String(c)); done(); } }));
  const listeners = [
    { name: 'plain', host: '127.0.0.1', port: 0, plugins: [] },
    { name: 'secrets', host: '127.0.0.1', port: 0, plugins: ['secrets'] },
    { name: 'tc', host: '127.0.0.1', port: 0, plugins: ['credentials', 'bewit', 'proxy'] },
  ];
  const loaded = loadConfig({
    argv: ['--listeners', JSON.stringify(listeners), '--data-dir', dir, '--root-url', 'http://tc.invalid', '--secrets-sweep-interval-sec', '0', '--auth-clients', `${dir}/clients.json`, '--secrets-keys', `${dir}/keys.json`, ...inProcessFlags([])],
    env: { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't'.repeat(44) },
    modules: pluginModules,
  });
  loaded.core.adminPort = 1; // enables the admin listener; bound below on an ephemeral port
  const gateway = await buildGateway(loaded, { log, quickstart: true });
  t.teardown(() => gateway.close());
  const urls: Record<string, string> = {};
  for (const { spec, app } of gateway.listeners) urls[spec.name] = await app.listen({ host: '127.0.0.1', port: 0 });
  urls.admin = await gateway.admin!.listen({ host: '127.0.0.1', port: 0 });

  for (const name of ['plain', 'secrets', 'tc', 'admin']) await check(t, urls[name]!, httpRows, name);
  for (const name of ['plain', 'admin']) await check(t, urls[name]!, rootRows, name);
  await check(t, urls.secrets!, secretsRows, 'secrets');
  await check(t, urls.tc!, proxyRows, 'tc');
  t.notMatch(lines.join(''), /"pw"/, 'no body text logged');
});

t.test('the extra 127.0.0.1 server of an allowedNetwork listener', async (t) => {
  const loaded = loadConfig({ argv: ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.2', port: 0, plugins: [] }]), '--allowed-user', 'root', '--allowed-network', '10.0.0.0/8'] });
  const gateway = await buildGateway(loaded, { log: createLogger('silent'), quickstart: true });
  t.teardown(() => gateway.close());
  const port = new URL((await gateway.listen()).one!).port;
  await check(t, `http://127.0.0.1:${port}`, [...httpRows, ...rootRows], '127.0.0.1 server');
});

t.test('a request timeout, as Node reports it: 408', async (t) => {
  const app = await gatewayApp(createLogger('silent'), 'timeouts');
  t.teardown(() => app.close());
  const { port } = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const accepted = new Promise<import('node:net').Socket>((resolve) => app.server.once('connection', resolve));
  const answers = new Promise<Answer[]>((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /slow HTTP/1.1\r\nHost: gateway\r\n'));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseAnswers(Buffer.concat(chunks))));
  });
  // what Node's requestTimeout check emits, without waiting for it
  app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), await accepted);
  const [answer] = await answers;
  t.equal(answer?.status, 408);
  assertErrorBody(t, answer?.body, { code: 'RequestTimeout', message: "The request did not arrive within the server's request timeout", method: '' });
});

t.test('while closing: a request on a busy keep-alive connection gets 503 in Taskcluster shape', async (t) => {
  const app = await gatewayApp(createLogger('silent'), 'closing');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const inFlight = new Promise<void>((resolve) => (started = resolve));
  let closingStarted!: () => void;
  const closing = new Promise<void>((resolve) => (closingStarted = resolve));
  app.get('/hang', async () => {
    started();
    await released;
    return { done: true };
  });
  app.addHook('preClose', async () => closingStarted());
  let requests = 0;
  let secondArrived!: () => void;
  const secondReceived = new Promise<void>((resolve) => (secondArrived = resolve));
  app.server.on('request', () => ++requests === 2 && secondArrived());
  const { port } = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const chunks: Buffer[] = [];
  const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /hang HTTP/1.1\r\nHost: gateway\r\n\r\n'));
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await inFlight;
  const closed = app.close();
  await closing;
  socket.write('GET /hang HTTP/1.1\r\nHost: gateway\r\n\r\n');
  // released only once the server has the second request: the connection is busy, not idle
  await secondReceived;
  release();
  await ended;
  await closed;
  const [first, second] = parseAnswers(Buffer.concat(chunks));
  t.same([first?.status, first?.body], [200, { done: true }], 'the request in flight finishes');
  t.equal(second?.status, 503);
  t.match(second?.headers, /\r\nconnection: close/i);
  assertErrorBody(t, second?.body, { code: 'ServiceUnavailable', message: 'The gateway is shutting down; retry on a new connection', method: 'GET' });
});
