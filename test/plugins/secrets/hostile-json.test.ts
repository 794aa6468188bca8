// Issue 12 §4: deeply nested or huge JSON bodies answered as the caller is owed (403 before any
// word about the body for a caller without the scope, 400 InputError otherwise), never 500, and
// a burst of them leaves memory bounded and the gateway answering.
import { request as httpRequest } from 'node:http';
import t, { type Test } from 'tap';
import { MAX_JSON_DEPTH } from '../../../src/core/json-body.js';
import { assertErrorBody } from '../../helpers/error-body.js';
import { sqliteBackend } from './store/sqlite-backend.js';
import { startGateway } from './gateway.js';
import { signedFetch } from './suite-input.js';

const deepArray = '['.repeat(20_000) + ']'.repeat(20_000);
const deepField = Buffer.from(`{"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
const TOO_DEEP = `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;

/** A PUT over a fresh connection, the body written from one shared buffer (the client adds no copies). */
function put(url: string, body: Buffer | string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'PUT', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function anonymousRefusal(t: Test, res: { status: number; body: Record<string, unknown> }, what: string): void {
  t.equal(res.status, 403, `${what}: 403`);
  assertErrorBody(t, res.body, {
    code: 'InsufficientScopes',
    message: /^Client ID anonymous does not have sufficient scopes and is missing the following scopes:\n\n```\nsecrets:set:x\n```/,
    method: 'PUT',
    params: { name: 'x' },
    extra: { required: 'secrets:set:x' },
  }, what);
}

t.test('anonymous: 403 for deep, huge and malformed bodies alike; with the scope: 400 InputError', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  const url = `${gw.rootUrl}/api/secrets/v1/secret/x`;
  anonymousRefusal(t, await put(url, deepArray), '20,000 nested arrays');
  anonymousRefusal(t, await put(url, deepField), '{"x": a million nested arrays}');
  anonymousRefusal(t, await put(url, '{"secret": {"a": 1}, oops'), 'malformed JSON');
  for (const [what, body] of [['20,000 nested arrays', deepArray], ['{"x": a million nested arrays}', deepField.toString()]] as const) {
    const res = await signedFetch(url, { method: 'PUT', body });
    t.equal(res.status, 400, `${what}, signed by root: 400`);
    assertErrorBody(t, res.body, { code: 'InputError', message: TOO_DEEP, method: 'PUT', params: { name: 'x' } }, `${what}, signed by root`);
  }
  const hashed = await signedFetch(url, { method: 'PUT', body: deepArray, hashOf: deepArray });
  t.same([hashed.status, hashed.body.code], [400, 'InputError'], 'a payload hash over the refused text still authenticates first');
  t.notMatch(gw.logText(), /Maximum call stack/, 'no stack overflow anywhere, logs included');
});

t.test('a burst of 20 concurrent million-deep bodies: memory bounded, the gateway still answers', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  const url = `${gw.rootUrl}/api/secrets/v1/secret/x`;
  // one first, so what the process allocates once (parsers, buffers) is in the baseline
  t.equal((await put(url, deepField)).status, 403);
  const before = process.resourceUsage().maxRSS;
  const answers = await Promise.all(Array.from({ length: 20 }, () => put(url, deepField)));
  const grownMb = (process.resourceUsage().maxRSS - before) / 1024;
  t.same(answers.map((a) => a.status), Array(20).fill(403), 'every one refused as an anonymous caller is owed');
  // 20 bodies of 2 MB are 40 MB on the wire; held as strings by the server while they arrive and
  // scanned without building anything. Building the nested arrays took ~330 MB before the fix.
  const BOUND_MB = 160;
  t.ok(grownMb < BOUND_MB, `peak RSS grew ${grownMb.toFixed(0)} MB (bound ${BOUND_MB} MB)`);
  const ping = await fetch(`${gw.rootUrl}/api/secrets/v1/ping`);
  t.equal(ping.status, 200, 'still answering');
});
