// `npm run docs`: rewrite the README's configuration reference from the schema and its route
// tables from the routes tables.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReference } from '../docs/configuration.js';
import { withRouteTables } from '../docs/routes.js';

const readme = new URL('../../README.md', import.meta.url);
writeFileSync(readme, withRouteTables(withReference(readFileSync(readme, 'utf8'))));
