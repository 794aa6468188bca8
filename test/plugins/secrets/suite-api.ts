// The Secrets v1 API through taskcluster-client's `Secrets` class, unchanged: set/get/list/
// remove, names with `/`, expiry, paging, and the audit history through `Auth.getEntityHistory`.
import taskcluster from 'taskcluster-client';
import type { Test } from 'tap';
import type { StoreBackend } from './store/backend.js';
import { clients, startGateway } from './gateway.js';

const inADay = () => taskcluster.fromNow('1 day');

export function apiTests(t: Test, backend: StoreBackend): void {
  t.test('set, get, list and remove with names holding /', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const secrets = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
    t.match(await secrets.ping(), { alive: true, uptime: Number });
    const expires = inADay();
    t.same(await secrets.set('project/foo/bar', { secret: { password: 'hunter2', nested: { a: [1, 2] } }, expires }), {});
    t.same(await secrets.get('project/foo/bar'), { secret: { password: 'hunter2', nested: { a: [1, 2] } }, expires: expires.toJSON() });
    await secrets.set('project/foo/bar', { secret: { password: 'changed' }, expires });
    t.same((await secrets.get('project/foo/bar')).secret, { password: 'changed' }, 'set replaces');
    await secrets.set('plain', { secret: {}, expires });
    t.same((await secrets.list()).secrets, ['plain', 'project/foo/bar']);
    t.same(await secrets.remove('project/foo/bar'), {});
    await t.rejects(secrets.get('project/foo/bar'), { statusCode: 404, code: 'ResourceNotFound', body: { requestInfo: { params: { name: 'project/foo/bar' } } } }, 'params named as Taskcluster names them');
    t.same(await secrets.remove('project/foo/bar'), {}, 'remove succeeds whether or not the secret exists');
    t.same((await secrets.list()).secrets, ['plain']);
  });

  t.test('an expired secret is never returned: 404, then swept with an expired audit row', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const secrets = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
    await secrets.set('gone', { secret: { v: 1 }, expires: new Date(Date.now() - 1000) });
    await secrets.set('soon', { secret: { v: 2 }, expires: new Date(Date.now() + 1500) });
    await t.rejects(secrets.get('gone'), { statusCode: 404, code: 'ResourceNotFound' });
    t.same((await secrets.get('soon')).secret, { v: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await t.rejects(secrets.get('soon'), { statusCode: 404, code: 'ResourceNotFound' }, 'expires while stored');
    t.equal(await gw.store.sweepExpired('taskcluster-gateway'), 2);
    const auth = new taskcluster.Auth({ rootUrl: gw.rootUrl, credentials: clients.auditor, retries: 0 });
    const history = await auth.getEntityHistory('secret', 'gone');
    t.same(history.auditHistory.map((e: { actionType: string; clientId: string }) => [e.actionType, e.clientId]), [['created', 'root'], ['expired', 'taskcluster-gateway']]);
  });

  t.test('paging: limit and continuationToken until no token', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const secrets = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
    const names = Array.from({ length: 7 }, (_, i) => `page/${i}`);
    for (const name of names) await secrets.set(name, { secret: { i: name }, expires: inADay() });
    const seen: string[] = [];
    let query: { limit: number; continuationToken?: string } = { limit: 3 };
    let pages = 0;
    for (;;) {
      const page = await secrets.list(query);
      t.ok(page.secrets.length <= 3, 'never more than limit');
      seen.push(...page.secrets);
      pages++;
      if (!page.continuationToken) break;
      query = { limit: 3, continuationToken: page.continuationToken };
    }
    t.same(seen.sort(), names, 'every name exactly once');
    t.ok(pages >= 3, `${pages} pages`);
  });

  t.test('audit history answers as the auth service getEntityHistory', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const root = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
    const writer = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.writer, retries: 0 });
    await root.set('project/foo/x', { secret: { a: 1 }, expires: inADay() });
    await writer.set('project/foo/x', { secret: { a: 2 }, expires: inADay() });
    await writer.remove('project/foo/x');
    const auth = new taskcluster.Auth({ rootUrl: gw.rootUrl, credentials: clients.auditor, retries: 0 });
    const all = await auth.getEntityHistory('secret', 'project/foo/x');
    t.same(all.auditHistory.map((e: Record<string, unknown>) => [e.actionType, e.clientId, e.entityId, e.entityType]), [
      ['created', 'root', 'project/foo/x', 'secret'],
      ['updated', 'project/writer', 'project/foo/x', 'secret'],
      ['deleted', 'project/writer', 'project/foo/x', 'secret'],
    ]);
    t.ok(all.auditHistory.every((e: { created: string }) => !Number.isNaN(Date.parse(e.created))));
    const first = await auth.getEntityHistory('secret', 'project/foo/x', { limit: 2 });
    t.equal(first.auditHistory.length, 2);
    t.type(first.continuationToken, 'string');
    const rest = await auth.getEntityHistory('secret', 'project/foo/x', { continuationToken: first.continuationToken });
    t.same(rest.auditHistory.map((e: { actionType: string }) => e.actionType), ['deleted']);
    const notAllowed = new taskcluster.Auth({ rootUrl: gw.rootUrl, credentials: clients.reader, retries: 0 });
    await t.rejects(notAllowed.getEntityHistory('secret', 'project/foo/x'), { statusCode: 403, code: 'InsufficientScopes', message: /auth:audit-history:secret/ });
  });
}
