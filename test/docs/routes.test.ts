import t from 'tap';
import { readFileSync } from 'node:fs';
import { routesReference, withRouteTables } from '../../src/docs/routes.js';
import { pluginModules } from '../../src/plugins/registry.js';

t.test('the README lists every route as the routes tables declare it', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.equal(withRouteTables(readme), readme, 'README is up to date (run `npm run docs`)');
  const tables = routesReference();
  for (const module of pluginModules) {
    t.ok(module.documentedRoutes, `plugin ${module.name} documents its routes`);
    for (const route of module.documentedRoutes?.() ?? []) t.match(tables, `| \`${route.url}\` | \`${route.name}\` |`, `${module.name}: ${route.name} listed`);
  }
  t.match(tables, '| PUT | `/api/secrets/v1/secret/*` | `set` | `secrets:set:<name>` | Set Secret |', 'method, path, name, scopes and title');
  t.throws(() => withRouteTables('no markers'), { message: 'README has no route tables markers' });
});
