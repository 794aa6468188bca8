import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, redactUrl } from '../src/log.js';

t.test('secrets are redacted from log lines', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger('info', sink);
  log.info({ credentials: { clientId: 'c', accessToken: 'TOKEN-1' }, certificate: '{"signature":"SIG-1"}' }, 'creds');
  log.info({ req: { method: 'GET', url: '/x?a=1&bewit=BEWIT-1', headers: { authorization: 'Hawk mac="MAC-1"' } } }, 'request');
  log.info({ body: { secret: { password: 'VALUE-1' } } }, 'secret');
  log.info({ relengapi: { token: 'RELENG-1' } }, 'token');
  const all = lines.join('');
  for (const leaked of ['TOKEN-1', 'SIG-1', 'BEWIT-1', 'MAC-1', 'VALUE-1', 'RELENG-1']) t.notMatch(all, leaked, `${leaked} redacted`);
  t.match(all, /"clientId":"c"/, 'non-secret fields stay');
  t.equal(redactUrl('/a?bewit=x&b=2'), '/a?bewit=[REDACTED]&b=2');
});
