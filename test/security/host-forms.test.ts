// The host and port in a Hawk MAC are the Host header as hawk reads it (hawk.utils.parseHost:
// WHATWG URL parsing): a request signed for hawk's reading is accepted, one signed for the literal
// text when hawk reads it otherwise is refused, and a Host with no reading refuses credentials.
// Each row was read literally before (`127.1` signed as `127.1` was accepted; hawk says Bad mac).
import hawk from 'hawk';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { rawJsonExchange } from '../helpers/raw-request.js';
import { clients, startGateway } from '../plugins/secrets/gateway.js';
import { sqliteBackend } from '../plugins/secrets/store/sqlite-backend.js';

const credentials = { id: clients.reader.clientId, key: clients.reader.accessToken, algorithm: 'sha256' as const };
const resource = '/api/secrets/v1/secret/project%2Ffoo%2Fa';

function signedHead(host: string | undefined, signedFor: { name: string; port: number }): string {
  const ts = Math.floor(Date.now() / 1000);
  const nonce = Math.random().toString(36).slice(2, 8);
  const mac = hawk.crypto.calculateMac('header', credentials, { ts, nonce, method: 'GET', resource, host: signedFor.name, port: signedFor.port });
  const authorization = `Hawk id="${credentials.id}", ts="${ts}", nonce="${nonce}", mac="${mac}"`;
  return `GET ${resource} HTTP/1.${host === undefined ? 0 : 1}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Authorization: ${authorization}\r\nConnection: close\r\n\r\n`;
}

t.test('Host forms: accepted as hawk reads them, refused as written when hawk reads them otherwise', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  await new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 }).set('project/foo/a', { secret: { v: 1 }, expires: taskcluster.fromNow('1 hour') });
  const port = Number(new URL(gw.rootUrl).port);
  for (const host of ['127.0.0.1:PORT', '2130706433:PORT', '127.1:PORT', '0x7f.1:PORT', 'LOCALHOST:PORT', '127.0.0.1:', '[0::1]:PORT', 'x%41y:PORT']) {
    const value = host.replace('PORT', String(port));
    const reading = hawk.utils.parseHost({ headers: { host: value } });
    t.ok(reading, `hawk reads ${value}`);
    const asHawk = await rawJsonExchange(port, signedHead(value, { name: reading!.name, port: Number(reading!.port) }));
    t.equal(asHawk.status, 200, `${value} signed as hawk reads it (${reading!.name}:${reading!.port})`);
    const [literalName, literalPort] = [value.slice(0, value.lastIndexOf(':')), Number(value.slice(value.lastIndexOf(':') + 1) || 80)];
    if (literalName.toLowerCase() !== reading!.name) { // hawk's MAC lower-cases the host itself
      const literal = await rawJsonExchange(port, signedHead(value, { name: literalName, port: literalPort }));
      t.equal(literal.status, 401, `${value} signed as written (${literalName}) is refused`);
      t.match(literal.body, { code: 'AuthenticationFailed', message: 'Bad mac' });
    }
  }
  for (const host of ['a b', 'h:1:2', 'a/b', undefined]) {
    t.equal(hawk.utils.parseHost({ headers: host === undefined ? {} : { host } }), null, `hawk has no reading of ${host}`);
    const res = await rawJsonExchange(port, signedHead(host, { name: host ?? '', port: 80 }));
    t.equal(res.status, 401, `Host ${JSON.stringify(host)}: credentials refused`);
    t.match(res.body, { code: 'AuthenticationFailed', message: 'Invalid Host header', requestInfo: { method: 'GET' } });
  }
  const anonymous = await rawJsonExchange(port, 'GET /api/secrets/v1/secret/public%2Fx HTTP/1.0\r\n\r\n');
  t.not(anonymous.status, 401, 'without credentials an unreadable Host is no authentication failure');
});
