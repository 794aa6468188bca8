// The verifier on real loopback connections, reading this machine's /proc/net/tcp{,6}.
// Clients of other users are node processes started through setpriv (the tests run as root).
import t, { type Test } from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { ConnectionVerifier } from '../../src/net/connection-verifier.js';
import { withoutTapLoaders } from '../helpers/foreign-user.js';

const run = promisify(execFile);
const NOBODY = 65534;
const canSwitchUser = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('setpriv', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

interface Served {
  server: Server;
  port: number;
  requests: number;
  /** Per accepted TCP connection: bytes the server read from it by the time it closed. */
  bytesRead: number[];
  logs: Array<{ level: number; msg: string; peer?: string; reason?: string }>;
}

async function serve(t: Test, host: string, verifier: ConnectionVerifier): Promise<Served> {
  const served: Served = { server: createServer((_req, res) => { served.requests++; res.end('ok'); }), port: 0, requests: 0, bytesRead: [], logs: [] };
  const sink = new Writable({ write(chunk, _enc, done) { served.logs.push(JSON.parse(String(chunk))); done(); } });
  verifier.attach(served.server, pino({ level: 'debug' }, sink));
  served.server.on('connection', (socket: Socket) => socket.on('close', () => served.bytesRead.push(socket.bytesRead)));
  await new Promise<void>((resolve) => served.server.listen(0, host, resolve));
  served.port = (served.server.address() as AddressInfo).port;
  t.teardown(() => new Promise<void>((resolve) => { served.server.closeAllConnections(); served.server.close(() => resolve()); }));
  return served;
}

/** GET / from a child process running as `uid`: 'status 200', or 'error <code>' when refused. */
async function clientAs(uid: number, host: string, port: number): Promise<string> {
  const script = `require('http').get({host: ${JSON.stringify(host)}, port: ${port}, agent: false}, (res) => { res.resume(); console.log('status ' + res.statusCode); }).on('error', (e) => console.log('error ' + e.code));`;
  const { stdout } = await run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...withoutTapLoaders(process.execPath, ['-e', script]).flat()], { timeout: 10_000 });
  return stdout.trim();
}

function getFromHere(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host, port, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

t.test('a root client from this process is served (root is always allowed)', async (t) => {
  t.equal(process.getuid?.(), 0, 'these tests run as root');
  const served = await serve(t, '127.0.0.1', new ConnectionVerifier({ allowedUser: 'nobody' }));
  t.equal(await getFromHere('127.0.0.1', served.port), 200);
  t.equal(served.requests, 1);
  t.match(served.logs, [{ msg: /connection accepted: peer socket owned by root/ }]);
});

t.test('another user', { skip: !canSwitchUser && 'needs root and setpriv' }, async (t) => {
  t.test('allowed user served, over IPv4 and IPv6', async (t) => {
    const v4 = await serve(t, '127.0.0.1', new ConnectionVerifier({ allowedUser: 'nobody' }));
    t.equal(await clientAs(NOBODY, '127.0.0.1', v4.port), 'status 200');
    const v6 = await serve(t, '::1', new ConnectionVerifier({ allowedUser: String(NOBODY) }));
    t.equal(await clientAs(NOBODY, '::1', v6.port), 'status 200');
    t.equal(v4.requests + v6.requests, 2);
  });

  t.test('foreign user refused before a byte is read, and logged', async (t) => {
    const served = await serve(t, '127.0.0.1', new ConnectionVerifier({ allowedUser: 'daemon' }));
    t.match(await clientAs(NOBODY, '127.0.0.1', served.port), /^error (ECONNRESET|EPIPE)$/);
    t.equal(served.requests, 0, 'the handler never ran');
    t.same(served.bytesRead, [0], 'nothing read from the refused connection');
    t.match(served.logs, [{ level: 40, peer: /^127\.0\.0\.1:\d+$/, reason: `peer socket owned by uid ${NOBODY}, not the allowed uid 1` }]);
  });

  t.test('dual-stack listener: IPv4 and IPv6 peers of the wrong user refused, the right one served', async (t) => {
    const served = await serve(t, '::', new ConnectionVerifier({ allowedUser: 'daemon' }));
    t.match(await clientAs(NOBODY, '127.0.0.1', served.port), /^error /);
    t.match(await clientAs(NOBODY, '::1', served.port), /^error /);
    t.equal(served.requests, 0);
    t.equal(await clientAs(1, '127.0.0.1', served.port), 'status 200', 'daemon itself');
  });

  t.test('allowed network does not mask a visible peer of the wrong user', async (t) => {
    const served = await serve(t, '127.0.0.1', new ConnectionVerifier({ allowedUser: 'daemon', allowedNetwork: '127.0.0.0/8' }));
    t.match(await clientAs(NOBODY, '127.0.0.1', served.port), /^error /);
    t.equal(served.requests, 0);
    t.equal(await getFromHere('127.0.0.1', served.port), 200, 'root still served');
  });
});
