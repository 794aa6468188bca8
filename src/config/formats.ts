/**
 * The convict formats the schema uses beyond convict's own, registered once when the schema is
 * imported, so every schema user (the loader, a test building a convict config) has them.
 */
import convict from 'convict';
import { certificateShapeProblem, CLIENT_ID } from '../core/credentials.js';
import { validScopeList } from '../core/scopes.js';

/**
 * A setting's JSON text (from the environment or a flag) as its value, `empty` for a blank one;
 * the text itself when it is not JSON, for validate to refuse: convict reports what a coerce
 * throws as it is, without the setting or where its value came from.
 */
function parsedJson(value: unknown, empty: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (!value.trim()) return empty;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

convict.addFormat({
  name: 'listener-list',
  coerce: (value: unknown) => parsedJson(value, []),
  validate: (value: unknown) => {
    if (!Array.isArray(value)) throw new Error(`must be a ${typeof value === 'string' ? 'JSON ' : ''}list of {name, host, port, plugins}`);
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
  coerce: (value: unknown) => parsedJson(value, null),
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
// '' = permanent credentials; else a certificate of temporary credentials, checked for shape
// (its signature cannot be checked here), so a wrong one stops the start instead of failing every request
// what the auth service allows: it goes into every Hawk header and every identity header
convict.addFormat({
  name: 'taskcluster-client-id',
  validate: (value: unknown) => {
    if (value !== '' && !CLIENT_ID.test(String(value))) throw new Error('must be a Taskcluster clientId (letters, digits and !@/:.+|_-)');
  },
});
convict.addFormat({
  name: 'taskcluster-certificate',
  validate: (value: unknown) => {
    if (value === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(value));
    } catch {
      throw new Error('must be empty (permanent credentials) or a certificate as JSON');
    }
    const problem = certificateShapeProblem(parsed);
    if (problem) throw new Error(`a certificate ${problem}`);
  },
});
