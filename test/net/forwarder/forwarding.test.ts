// What every forwarding plugin guarantees (src/net/forwarder): one table of cases, run against
// the Hawk proxy and the RelengAPI proxy alike, over real HTTP on loopback.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { rawRequest } from '../../helpers/raw-request.js';
import { deadUrl } from '../../plugins/relengapi/gateway-setup.js';
import { echo, readBody, startService, type Service } from './service.js';
import { CASE_SETTINGS, SERVICE_PATH, TARGETS, type ForwardSettings, type RunningTarget } from './targets.js';

interface Case {
  name: string;
  settings?: Partial<ForwardSettings>;
  /** The service the gateway forwards to; by default a fresh one from startService. */
  serviceUrl?: () => Promise<string>;
  run(t: Test, gateway: RunningTarget, service: Service): Promise<void>;
}

const at = (path: string) => `${SERVICE_PATH}${path}`;

/** The error body an answer of the gateway must be, whole: Taskcluster's shape. */
async function assertError(t: Test, res: Response, status: number, code: string, message: RegExp, requestInfo: { method: string; params: Record<string, string> }): Promise<void> {
  t.equal(res.status, status);
  t.match(res.headers.get('content-type'), /^application\/json/);
  const body = (await res.json()) as { message: string; requestInfo: { time: string } };
  t.match(body.message, message);
  t.ok(Date.parse(body.requestInfo.time) > Date.now() - 60_000, 'requestInfo.time is a recent date');
  t.same(body, { code, message: body.message, requestInfo: { ...requestInfo, payload: {}, time: body.requestInfo.time } }, 'the whole error body');
}

/** Each request's body as the service received it, and then `answer`. */
function recording(bodies: string[], answer: (attempt: number, res: import('node:http').ServerResponse) => void): Parameters<Service['on']>[1] {
  return (req, res) => {
    readBody(req).then((body) => answer(bodies.push(body.toString()), res), () => res.destroy());
  };
}

/** Bytes of a stream, counted and dropped. */
async function drain(stream: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;
/**
 * Most the process's resident memory may grow while 1 GiB passes each way, with the client, the
 * gateway and the service all in it: what streams holds a few hundred KiB per hop, plus what the
 * collector has not yet reclaimed (seen: ~100 MiB on Node 20, 135 MiB on Node 24, whose collector
 * reclaims later); a body held whole would take 1 GiB, four times this bound.
 */
const STREAM_RSS_BOUND = 256 * MiB;

const cases: Case[] = [
  {
    name: 'a kept-alive connection closed or reset without an answer: sent again on a fresh connection',
    async run(t, gateway, service) {
      // the service (or a balancer before it) drops an idle kept-alive connection just as the
      // next request goes out on it: closed (undici's UND_ERR_SOCKET), or reset (ECONNRESET)
      const drop = { '/closed': (socket: Socket) => socket.destroy(), '/reset': (socket: Socket) => socket.resetAndDestroy() };
      for (const [path, dropConnection] of Object.entries(drop)) {
        service.arrivals.length = 0;
        service.on(at(path), (req, res, arrival) => (arrival.before > 0 ? dropConnection(req.socket) : echo(req, res, arrival)));
        const first = await fetch(`${gateway.base}/a`);
        t.equal(first.status, 200);
        await first.arrayBuffer();
        const res = await fetch(`${gateway.base}${path}`);
        t.equal(res.status, 200, `${path}: the right answer, not a 502`);
        t.equal((await res.json()).path, at(path));
        const [a, dropped, again] = service.arrivals;
        t.same([dropped?.path, again?.path, service.arrivals.length], [at(path), at(path), 3], `${path}: two attempts`);
        t.equal(dropped?.connection, a!.connection, `${path}: the first went out on the kept-alive connection`);
        t.same([again?.before, again?.connection === a!.connection], [0, false], `${path}: the second on a fresh one`);
      }
    },
  },
  {
    name: 'a hung service: 504 when the idle timeout passes, and the request to it cancelled',
    settings: { timeoutMs: 300 },
    async run(t, gateway, service) {
      service.on(at('/hang'), () => {});
      const started = Date.now();
      const res = await fetch(`${gateway.base}/hang`);
      const elapsed = Date.now() - started;
      await assertError(t, res, 504, 'UpstreamTimeout', /did not answer in time/, { method: 'GET', params: gateway.params('/hang') });
      t.ok(elapsed >= 300 && elapsed < 10_000, `answered after the idle timeout (${elapsed} ms), not the default's 5 minutes`);
      t.equal(await service.arrivals[0]!.cancelled, true, 'the service saw the request end');
      t.equal(service.arrivals.length, 1, 'a timeout is not retried');
    },
  },
  {
    name: 'a service falling silent mid-answer: the answer breaks off after the idle timeout',
    settings: { timeoutMs: 300 },
    async run(t, gateway, service) {
      service.on(at('/stall'), (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('x'.repeat(10));
      });
      const res = await request(`${gateway.base}/stall`);
      t.equal(res.statusCode, 200, 'the head passed on');
      await t.rejects(drain(res.body), 'the body breaks off instead of hanging');
      t.equal(await service.arrivals[0]!.cancelled, true, 'the request to the service ended');
    },
  },
  {
    name: 'a client leaving mid-download cancels the request to the service',
    async run(t, gateway, service) {
      const chunk = Buffer.alloc(64 * 1024, 'd');
      service.on(at('/endless'), (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
      });
      const res = await request(`${gateway.base}/endless`);
      t.equal(res.statusCode, 200);
      for await (const received of res.body) {
        t.ok(received.length > 0, 'the download has begun');
        break;
      }
      t.equal(await service.arrivals[0]!.cancelled, true, 'the service saw its request end');
      t.equal(service.arrivals.length, 1);
    },
  },
  {
    name: '5xx and 429 are retried, the held body replayed, each attempt with credentials',
    async run(t, gateway, service) {
      const bodies: string[] = [];
      service.on(at('/flaky'), recording(bodies, (attempt, res) => {
        res.writeHead(([503, 429][attempt - 1] ?? 200), { 'content-type': 'text/plain' });
        res.end(`attempt ${attempt}`);
      }));
      const res = await fetch(`${gateway.base}/flaky`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      t.equal(res.status, 200);
      t.equal(await res.text(), 'attempt 3');
      t.same(bodies, ['{"a":1}', '{"a":1}', '{"a":1}'], 'the body sent again each time');
      t.same(service.arrivals.map((a) => gateway.authorized(a.headers)), [true, true, true], 'every attempt carried credentials');
    },
  },
  {
    name: 'a 5xx that lasts is passed back as the service sent it, after the retries',
    async run(t, gateway, service) {
      service.on(at('/down'), (_req, res) => {
        res.writeHead(500, { 'x-service': 'down' });
        res.end('broken');
      });
      const res = await fetch(`${gateway.base}/down`);
      t.equal(res.status, 500);
      t.equal(res.headers.get('x-service'), 'down');
      t.equal(await res.text(), 'broken');
      t.ok(service.arrivals.length > 2, `retried ${service.arrivals.length - 1} times first`);
    },
  },
  {
    name: 'a body above the buffer limit streams once and is not retried',
    settings: { bufferLimit: 1024 },
    async run(t, gateway, service) {
      const bodies: string[] = [];
      service.on(at('/once'), recording(bodies, (_attempt, res) => {
        res.writeHead(503);
        res.end('unavailable');
      }));
      const declared = await fetch(`${gateway.base}/once`, { method: 'PUT', body: Buffer.alloc(4096, 'x') });
      t.equal(declared.status, 503, 'the failure is the answer: the body is spent');
      t.same(bodies.map((b) => b.length), [4096], 'one attempt, the whole body');

      // chunked: no length announced, the limit found while reading, and what was read not lost
      const chunks = Array.from({ length: 8 }, (_, i) => Buffer.alloc(700, String(i)));
      const res = await request(`${gateway.base}/echo`, { method: 'PUT', body: Readable.from(chunks) });
      t.equal(res.statusCode, 200);
      const received = Buffer.from(((await res.body.json()) as { body: string }).body, 'latin1');
      t.equal(createHash('sha256').update(received).digest('hex'), createHash('sha256').update(Buffer.concat(chunks)).digest('hex'), 'every byte, in order');
    },
  },
  {
    name: 'an unreachable service: 502 in Taskcluster\'s shape, after retries',
    serviceUrl: deadUrl,
    async run(t, gateway) {
      const res = await fetch(`${gateway.base}/x`);
      await assertError(t, res, 502, 'UpstreamError', /^Failed during proxy request to .*127\.0\.0\.1:\d+.*: .*ECONNREFUSED/, { method: 'GET', params: gateway.params('/x') });
    },
  },
  {
    name: 'a 4xx is the answer at once, its body passed on',
    async run(t, gateway, service) {
      service.on(at('/missing'), (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"ResourceNotFound","message":"no"}');
      });
      const res = await fetch(`${gateway.base}/missing`);
      t.equal(res.status, 404);
      t.same(await res.json(), { code: 'ResourceNotFound', message: 'no' });
      t.equal(service.arrivals.length, 1, 'not retried');
    },
  },
  {
    name: 'redirects are returned, not followed',
    async run(t, gateway, service) {
      service.on(at('/moved'), (_req, res) => {
        res.writeHead(303, { location: `${gateway.base}/elsewhere` });
        res.end('{}\n');
      });
      const res = await fetch(`${gateway.base}/moved`, { redirect: 'manual' });
      t.equal(res.status, 303);
      t.equal(res.headers.get('location'), `${gateway.base}/elsewhere`);
      t.equal(await res.text(), '{}\n');
      t.same(service.arrivals.map((a) => a.path), [at('/moved')]);
    },
  },
  {
    name: 'hop-by-hop headers cross neither way',
    async run(t, gateway, service) {
      service.on(at('/hops'), (_req, res) => {
        res.writeHead(200, { connection: 'x-private', 'x-private': 'no', 'x-service': 'yes', 'keep-alive': 'timeout=5', 'content-length': '2' });
        res.end('ok');
      });
      const path = new URL(`${gateway.base}/hops`).pathname;
      const answer = await rawRequest(gateway.base, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close, x-hop\r\nX-Hop: dropped\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n`);
      t.match(answer, /^HTTP\/1\.1 200/);
      t.match(answer, /\r\nx-service: yes\r\n/i);
      t.notMatch(answer, /x-private|keep-alive: timeout/i, "headers the service's Connection names, and Keep-Alive, stay behind");
      const { headers } = service.arrivals[0]!;
      t.equal(headers['x-kept'], 'yes');
      t.same([headers['x-hop'], headers['keep-alive'], headers.te, headers['proxy-authorization']], [undefined, undefined, undefined, undefined], "the client's hop-by-hop headers stay behind");
    },
  },
  {
    name: 'a client leaving while the gateway waits to retry ends its retries',
    settings: { retry: { initialMs: 400, multiplier: 1, randomization: 0, maxIntervalMs: 400, maxElapsedMs: 10_000 } },
    async run(t, gateway, service) {
      service.on(at('/unavailable'), (_req, res) => {
        res.writeHead(503);
        res.end();
      });
      const arrived = service.next(at('/unavailable'));
      const client = new AbortController();
      const pending = fetch(`${gateway.base}/unavailable`, { signal: client.signal }).catch(() => 'aborted');
      const first = await arrived;
      await first.cancelled;
      client.abort();
      t.equal(await pending, 'aborted');
      await sleep(3 * 400);
      t.equal(service.arrivals.length, 1, 'no attempt after the client left');
    },
  },
  {
    name: '1 GiB down and 1 GiB up stream through in bounded memory',
    async run(t, gateway, service) {
      const chunk = Buffer.alloc(MiB, 's');
      service.on(at('/download'), (_req, res) => {
        res.writeHead(200, { 'content-length': String(GiB) });
        let sent = 0;
        const pump = () => {
          while (sent < GiB) {
            sent += chunk.length;
            const more = res.write(chunk);
            if (sent === GiB) res.end();
            if (!more) return;
          }
        };
        res.on('drain', pump);
        pump();
      });
      service.on(at('/upload'), (req, res) => {
        drain(req).then((bytes) => res.end(String(bytes)), () => res.destroy());
      });
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
      t.teardown(() => clearInterval(sampler));

      const down = await request(`${gateway.base}/download`);
      t.equal(down.headers['content-length'], String(GiB));
      t.equal(await drain(down.body), GiB, 'download: every byte');
      const body = Readable.from((function* () {
        for (let sent = 0; sent < GiB; sent += chunk.length) yield chunk;
      })());
      const up = await request(`${gateway.base}/upload`, { method: 'PUT', headers: { 'content-length': String(GiB) }, body });
      t.equal(await up.body.text(), String(GiB), 'upload: every byte');
      clearInterval(sampler);
      const grown = peak - baseline;
      t.ok(grown < STREAM_RSS_BOUND, `resident memory grew ${(grown / MiB).toFixed(1)} MiB (bound ${STREAM_RSS_BOUND / MiB} MiB)`);
    },
  },
];

for (const target of TARGETS) {
  t.test(target.name, async (t) => {
    for (const { name, settings, serviceUrl, run } of cases) {
      await t.test(name, async (t) => {
        const service = await startService(t);
        const gateway = await target.start(t, serviceUrl ? await serviceUrl() : service.url, { ...CASE_SETTINGS, ...settings });
        await run(t, gateway, service);
      });
    }
  });
}
