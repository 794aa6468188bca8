import t from 'tap';
import { readFileSync } from 'node:fs';
import { configReference, withReference } from '../../src/docs/configuration.js';
import { gatewaySchema, schemaFlags } from '../../src/config/load.js';
import { pluginModules } from '../../src/plugins/registry.js';

t.test('the README documents every setting as the schema has it', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.equal(withReference(readme), readme, 'README is up to date (run `npm run docs`)');
  const reference = configReference();
  for (const flag of schemaFlags(gatewaySchema(pluginModules)).keys()) t.match(reference, `\`--${flag}\``, `--${flag} listed`);
});
