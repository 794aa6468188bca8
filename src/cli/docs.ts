// `npm run docs`: rewrite the README's configuration reference from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReference } from '../docs/configuration.js';

const readme = new URL('../../README.md', import.meta.url);
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')));
