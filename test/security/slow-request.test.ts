// Found by attack (probe 6): a client that sent its headers, then its body one byte every 5 s,
// kept its connection open for as long as it liked (still open after 400 s, on the quick start's
// secrets API and its proxy alike): Fastify sets Node's requestTimeout to 0, so only headers were
// bounded. Anyone reaching a listener could hold as many connections as the process has file
// descriptors. Every listener now bounds the time to receive a request: 30 s, or Node's own
// 300 s where bodies stream on (the proxy, relengapi).
import net from 'node:net';
import t from 'tap';
import { buildGateway } from '../../src/server.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { bewitModule } from '../../src/plugins/bewit/capability.js';
import { proxyModule } from '../../src/plugins/proxy/capability.js';
import { REQUEST_TIMEOUT_MS, STREAMING_REQUEST_TIMEOUT_MS } from '../../src/fastify/request-timeout.js';

t.test('a body trickled a byte at a time is cut off, on every listener', async (t) => {
  const loaded = loadConfig({
    argv: [
      '--listeners', JSON.stringify([{ name: 'api', host: '127.0.0.1', port: 0, plugins: ['bewit'] }, { name: 'fwd', host: '127.0.0.1', port: 0, plugins: ['proxy'] }]),
      '--root-url', 'http://127.0.0.1:9',
    ],
    env: { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't'.repeat(44) },
    modules: [bewitModule, proxyModule],
  });
  const gateway = await buildGateway(loaded, { log: createLogger('silent') });
  t.teardown(() => gateway.close());
  const urls = await gateway.listen();
  const servers = Object.fromEntries(gateway.listeners.map(({ spec, app }) => [spec.name, app.server]));
  t.equal(servers.api!.requestTimeout, REQUEST_TIMEOUT_MS, 'a listener of bounded bodies');
  t.equal(servers.fwd!.requestTimeout, STREAMING_REQUEST_TIMEOUT_MS, 'a listener streaming bodies on');
  for (const server of [servers.api!, servers.fwd!]) t.ok(server.headersTimeout <= server.requestTimeout, 'headers alone are never allowed longer');

  // the attack as run: headers, then a byte every second; Node checks every 30 s
  const socket = net.connect(Number(new URL(urls.api!).port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  const started = Date.now();
  socket.write('POST /bewit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nhttps://');
  const trickle = setInterval(() => socket.write('a'), 1000);
  t.teardown(() => clearInterval(trickle));
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  await new Promise((resolve) => socket.once('close', resolve));
  const heldMs = Date.now() - started;
  t.ok(heldMs >= REQUEST_TIMEOUT_MS - 1000 && heldMs < REQUEST_TIMEOUT_MS + 35_000, `connection closed after ${heldMs} ms`);
  t.match(answer, /^HTTP\/1\.1 408 /, 'answered 408 before closing');
  t.match(JSON.parse(answer.split('\r\n\r\n').pop()!), { code: 'RequestTimeout', message: 'The request did not arrive within the server\'s request timeout', requestInfo: {} });
  t.notMatch(answer, /^HTTP\/1\.1 303/, 'the trickled request never reached the handler');
});
