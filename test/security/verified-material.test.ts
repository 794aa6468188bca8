// Found by attack (probe 8): once a MAC verified, what its ext resolved to is kept (the resolved-ext
// cache, core/auth.ts) and so is the roles expansion of a certificate's scopes (the memo of
// core/local-auth.ts), each for up to 10,000 entries, however large. An ext is the caller's to
// choose, up to hawk's 4,096 characters: any client, or any holder of temporary credentials it
// minted itself (no request to anyone), could send one distinct ext per request, each answered
// 403 for the scope it lacked, and the gateway kept ~20 KB for each (measured on a gateway with a
// clients file: +185 MB RSS after 10,000 certificates of 280 scopes, +207 MB after 10,000 headers
// of 300 authorizedScopes, and both at once). Both are bounded by the characters they keep now.
import hawk from 'hawk';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { clients, startGateway } from '../plugins/secrets/gateway.js';
import { sqliteBackend } from '../plugins/secrets/store/sqlite-backend.js';
import { headerFlood, heapAfterGc } from '../helpers/header-flood.js';

/** 300 short scopes unique to `i` (an ext of ~3.5 KB: the header stays under hawk's 4,096 characters). */
function uniqueScopes(i: number): string[] {
  return Array.from({ length: 300 }, (_, j) => `${i.toString(36)}${j.toString(36)}`);
}

/** A header signed with valid credentials: temporary ones made here, or the client's own restricted. */
function signedHeader(url: string, i: number): string {
  const issuer = clients.root;
  if (i % 2 === 0) {
    const ext = Buffer.from(JSON.stringify({ authorizedScopes: uniqueScopes(i) })).toString('base64');
    return hawk.client.header(url, 'GET', { credentials: { id: issuer.clientId, key: issuer.accessToken, algorithm: 'sha256' }, ext }).header!;
  }
  const temporary = taskcluster.createTemporaryCredentials({
    start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + 3_600_000), scopes: uniqueScopes(i), credentials: issuer,
  });
  const ext = Buffer.from(JSON.stringify({ certificate: JSON.parse(temporary.certificate) })).toString('base64');
  return hawk.client.header(url, 'GET', { credentials: { id: temporary.clientId, key: temporary.accessToken, algorithm: 'sha256' }, ext }).header!;
}

t.test('distinct exts of verified headers keep a bounded amount, however many and however large', async (t) => {
  const gateway = await startGateway(t, await sqliteBackend.fresh(t));
  const url = `${gateway.rootUrl}/api/secrets/v1/secret/project/foo/x`;
  const headers = headerFlood(url);
  t.teardown(() => headers.close());
  // warm up: the first requests build the router's, hawk's and the logger's own state
  for (let i = 0; i < 50; i++) await headers.send(signedHeader(url, 1_000_000 + i));
  const before = heapAfterGc();
  const count = 6000;
  const statuses = await headers.flood(count, (i) => signedHeader(url, i), (status, body) => {
    if (status !== 403 || !body.includes('InsufficientScopes')) t.fail(`signed header answered ${status} ${body.slice(0, 200)}`);
  });
  t.same(statuses, [[403, count]], 'every header verified, and lacked the scope of the secret');
  const grownMb = (heapAfterGc() - before) / 1024 / 1024;
  // before the fix: ~92 MB (kept until 10,000 entries); ~31 MB now, both caches full at their
  // ~16 M characters (the least recently used leave one by one), the two bounds allowing ~35 MB
  t.ok(grownMb < 45, `heap grew ${grownMb.toFixed(1)} MB over ${count} distinct verified exts`);

  // the caches still serve: a temporary credential and a restricted client, each answered by its scopes
  const temporary = taskcluster.createTemporaryCredentials({ start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + 3_600_000), scopes: ['secrets:get:project/foo/*'], credentials: clients.root });
  await new taskcluster.Secrets({ rootUrl: gateway.rootUrl, credentials: clients.root, retries: 0 }).set('project/foo/x', { secret: { v: 1 }, expires: taskcluster.fromNow('1 hour') });
  const reader = new taskcluster.Secrets({ rootUrl: gateway.rootUrl, credentials: temporary, retries: 0 });
  for (let i = 0; i < 3; i++) t.same((await reader.get('project/foo/x')).secret, { v: 1 });
  await t.rejects(reader.get('project/bar'), { code: 'InsufficientScopes', statusCode: 403 }, 'the certificate still binds it');
});
