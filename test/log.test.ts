import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, loggedToken, redact, redactUrl } from '../src/log.js';

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

t.test('redaction reaches every depth, arrays and errors, and leaves the rest as it was', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger('info', sink);
  const deep = { a: { b: { c: { d: { AccessToken: 'DEEP-1' } } } }, list: [{ secret: 'ARRAY-1' }, 'plain'] };
  log.info(deep, 'deep');
  const err = Object.assign(new Error('upstream said no'), { headers: { Authorization: 'Hawk mac="ERR-1"' } });
  log.error({ err }, 'failed');
  const all = lines.join('');
  for (const leaked of ['DEEP-1', 'ARRAY-1', 'ERR-1']) t.notMatch(all, leaked, `${leaked} redacted`);
  t.match(all, /"list":\[\{"secret":"\[REDACTED\]"\},"plain"\]/, 'arrays keep their other items');
  t.match(all, /upstream said no/, 'the error message stays');
  t.equal(deep.a.b.c.d.AccessToken, 'DEEP-1', 'the logged object itself is not modified');
  t.equal(redact(deep.list[1]), 'plain');
  const untouched = { clientId: 'c', scopes: ['s'] };
  t.equal(redact(untouched), untouched, 'an object without secrets is not copied');
});

t.test('an error\'s message and stack, its cause\'s and the errors it holds quote URLs without their credentials', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger('info', sink);
  // as taskcluster-client passes on an upstream's answer, and fetch quotes the URL it was given
  const cause = new Error('upstream said: retry at https://q.example/x?accessToken=CAUSE-1');
  const err = new Error('Is it up? GET https://q.example/task/T?bewit=MESSAGE-1 failed', { cause });
  const aggregate = new AggregateError([new Error('https://u:AGG-1@q.example/ and https://q.example/?token=AGG-2')], 'both failed');
  const held = Object.assign(new Error('outer'), { inner: new Error('https://q.example/?sig=HELD-1') });
  log.error({ err }, 'failed');
  log.error({ err: aggregate }, 'failed');
  log.error({ err: held }, 'failed');
  const all = lines.join('');
  for (const leaked of ['CAUSE-1', 'MESSAGE-1', 'AGG-1', 'AGG-2', 'HELD-1']) t.notMatch(all, leaked, `${leaked} redacted`);
  const first = JSON.parse(lines[0]!).err;
  t.match(first.message, /^Is it up\? GET https:\/\/q\.example\/task\/T\?bewit=\[REDACTED\] failed: upstream said: retry at https:\/\/q\.example\/x\?accessToken=\[REDACTED\]$/, 'the rest of the message as it was');
  t.match(first.stack, /bewit=\[REDACTED\]/, 'the stack too');
});

t.test('redactUrl: bearer query parameters, bootstrap tokens and embedded credentials; the rest as it was', async (t) => {
  const fingerprint = loggedToken('T0K EN');
  const cases: Array<[string, string]> = [
    ['/plain/path?a=1&b=2', '/plain/path?a=1&b=2'],
    ['/x?bewit=B&bewit=C', '/x?bewit=[REDACTED]&bewit=[REDACTED]'],
    ['/x?BeWiT=B', '/x?BeWiT=[REDACTED]'],
    ['/x?%62ewit=B&%42EWIT=C', '/x?%62ewit=[REDACTED]&%42EWIT=[REDACTED]'],
    ['/x?access_token=A&accessToken=A&token=A&sig=S&X-Amz-Signature=S&X-Amz-Security-Token=S', '/x?access_token=[REDACTED]&accessToken=[REDACTED]&token=[REDACTED]&sig=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Security-Token=[REDACTED]'],
    ['/x?bewit', '/x?bewit'],
    ['/x&bewit=B?a=1', '/x&bewit=[REDACTED]?a=1'],
    ['/x&bewit=B', '/x&bewit=[REDACTED]'],
    ['/x?notbewit=1&bewitx=2', '/x?notbewit=1&bewitx=2'],
    ['/api/secrets/v1/bootstrap/T0K%20EN', `/api/secrets/v1/bootstrap/${fingerprint}`],
    ['/secrets/v1/bootstrap/T0K%20EN?bewit=B', `/secrets/v1/bootstrap/${fingerprint}?bewit=[REDACTED]`],
    ['/api/secrets/v1/BOOTSTRAP%2fT0K%20EN', `/api/secrets/v1/BOOTSTRAP%2f${fingerprint}`],
    ['/api/secrets/v1/bootstrap', '/api/secrets/v1/bootstrap'],
    // the router decodes the path: so does redaction
    ['/api/secrets/v1/%62ootstrap/T0K%20EN', `/api/secrets/v1/%62ootstrap/${fingerprint}`],
    ['/api/secrets/v1/%62OOTSTRAP%2FT0K%20EN?a=1', `/api/secrets/v1/%62OOTSTRAP%2F${fingerprint}?a=1`],
    ['/secrets/v1/b%6F%6Ftstrap/T0K%20EN/', `/secrets/v1/b%6F%6Ftstrap/${fingerprint}/`],
    ['/https://user:pw@example.com/x', '/https://[REDACTED]@example.com/x'],
    ['/x?next=https://user:pw@example.com/', '/x?next=https://[REDACTED]@example.com/'],
    // a URL embedded percent-encoded (a signed URL as a path segment or a query value): its
    // credentials hide from the readings above, so the piece holding them is replaced whole
    ['/x/https%3A%2F%2Fq.example%2Fy%3Fbewit%3DB/z', '/x/[REDACTED]/z'],
    ['/x/y%26bewit%3DB', '/x/[REDACTED]'],
    ['/x/https%253A%252F%252Fq.example%252Fy%253Ftoken%253DT', '/x/[REDACTED]'],
    ['/x?next=https%3A%2F%2Fuser%3Apw%40q.example%2F&a=1', '/x?next=[REDACTED]&a=1'],
    ['/x?next=https%3A%2F%2Fq.example%2Fy%3Fsig%3DS', '/x?next=[REDACTED]'],
    ['/x?https%3A%2F%2Fq.example%2Fy%3Fsig%3DS', '/x?[REDACTED]'],
    ['/x/a%2Fb%3Fc%3D1/https%3A%2F%2Fq.example%2F?next=https%3A%2F%2Fq.example%2Fy%3Fa%3D1', '/x/a%2Fb%3Fc%3D1/https%3A%2F%2Fq.example%2F?next=https%3A%2F%2Fq.example%2Fy%3Fa%3D1'],
  ];
  for (const [url, logged] of cases) t.equal(redactUrl(url), logged, url);
});
