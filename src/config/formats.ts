/**
 * The convict formats the schema uses beyond convict's own, registered once when the schema is
 * imported, so every schema user (the loader, a test building a convict config) has them.
 */
import convict from 'convict';
import { validScopeList } from '../core/scopes.js';

convict.addFormat({
  name: 'listener-list',
  coerce: (value: unknown) => (typeof value === 'string' ? (value.trim() ? JSON.parse(value) : []) : value),
  validate: (value: unknown) => {
    if (!Array.isArray(value)) throw new Error('must be a list of {name, host, port, plugins}');
    for (const l of value as Array<Record<string, unknown>>) {
      if (!l || typeof l.name !== 'string' || typeof l.host !== 'string' || !Number.isInteger(l.port) || !Array.isArray(l.plugins)) {
        throw new Error(`listener ${JSON.stringify(l)} must have name, host, port and plugins`);
      }
    }
  },
});
// null = no restriction (the credentials' own scopes); [] = no authority at all
convict.addFormat({
  name: 'optional-scope-list',
  coerce: (value: unknown) => (typeof value === 'string' ? (value.trim() ? JSON.parse(value) : null) : value),
  validate: (value: unknown) => {
    if (value !== null && !validScopeList(value)) throw new Error('must be null or a JSON array of valid scopes');
  },
});
// a share of something, such as the event loop's busy time: 0 to 1 inclusive
convict.addFormat({
  name: 'fraction',
  coerce: (value: unknown) => (typeof value === 'string' ? Number(value) : value),
  validate: (value: unknown) => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error('must be a number from 0 to 1');
  },
});
