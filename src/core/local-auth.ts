/**
 * Local auth: clients and roles from a file (`--auth-clients`), JSON or YAML, shaped
 * `{"clients": [{clientId, accessToken, scopes, expires?}], "roles": [{roleId, scopes}]}`,
 * served as a ClientDirectory for core verifyRequest. Every problem is a ConfigError naming the
 * file and the entry, never an access token.
 */
import { readFileSync } from 'node:fs';
import { load as parseYaml } from 'js-yaml';
import { LRUCache } from 'lru-cache';
import { ConfigError } from './errors.js';
import type { ClientDirectory, ClientRecord } from './auth.js';
import { verifyRequest, type AuthenticatedCaller, type IncomingRequest, type NonceStore } from './hawk.js';
import { CLIENT_ID } from './credentials.js';
import { entryWeight } from './memo-weight.js';
import { RoleSet, type Role } from './roles.js';
import { validScope, validScopeList } from './scopes.js';
import { parseDateTime } from './date-time.js';

/** Expansions kept; callers repeat the same few scope sets (clients, certificates, anonymous). */
const EXPANSION_CACHE_SIZE = 10_000;
/**
 * And the characters they hold at most: a certificate's scopes are its maker's choice (anyone
 * holding credentials mints certificates without asking anyone), hundreds of them in 4 KB.
 */
const EXPANSION_CACHE_WEIGHT = 16 * 1024 * 1024;

function fail(file: string, problem: string): never {
  throw new ConfigError(`auth clients file ${file}: ${problem}`);
}

function parseClient(file: string, entry: unknown, index: number): Omit<ClientRecord, 'scopes'> & { scopes: string[] } {
  const { clientId, accessToken, scopes, expires } = (entry ?? {}) as Record<string, unknown>;
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) fail(file, `clients[${index}] needs a clientId of letters, digits and !@/:.+|_-`);
  if (typeof accessToken !== 'string' || accessToken.length < 22) fail(file, `client ${clientId} needs an accessToken of at least 22 characters`);
  if (!validScopeList(scopes)) fail(file, `client ${clientId} needs "scopes", a list of valid scopes`);
  let expiry: Date | undefined;
  if (expires !== undefined) {
    // YAML reads an unquoted timestamp as a Date; a string must name a date that exists
    expiry = expires instanceof Date ? expires : typeof expires === 'string' ? parseDateTime(expires) : undefined;
    if (!expiry || Number.isNaN(expiry.getTime())) fail(file, `client ${clientId} has an invalid "expires"`);
  }
  return { clientId, accessToken, scopes, ...(expiry ? { expires: expiry } : {}) };
}

function parseRole(file: string, entry: unknown, index: number): Role {
  const { roleId, scopes } = (entry ?? {}) as Record<string, unknown>;
  if (typeof roleId !== 'string' || roleId === '' || !validScope(`assume:${roleId}`)) fail(file, `roles[${index}] needs a roleId of printable characters`);
  if (!validScopeList(scopes)) fail(file, `role ${roleId} needs "scopes", a list of valid scopes`);
  return { roleId, scopes };
}

/** A ClientDirectory over fixed clients and roles; expansions are memoized. */
export function localDirectory(clients: Array<Omit<ClientRecord, 'scopes'> & { scopes: string[] }>, roleSet: RoleSet): ClientDirectory {
  const expansions = new LRUCache<string, string[]>({
    max: EXPANSION_CACHE_SIZE,
    maxSize: EXPANSION_CACHE_WEIGHT,
    sizeCalculation: (expanded, key) => entryWeight(key, expanded),
  });
  const expand = (scopes: string[], remember = true): string[] => {
    const key = scopes.join('\n');
    let expanded = expansions.get(key);
    if (!expanded) {
      expanded = roleSet.expand(scopes);
      if (!remember) return expanded;
      expansions.set(key, expanded);
    }
    return expanded;
  };
  const byId = new Map(clients.map((c) => [c.clientId, { ...c, scopes: roleSet.expand(c.scopes) }]));
  return { client: (id) => byId.get(id), expand };
}

/** Parse the text of a clients file (YAML, of which JSON is a subset). */
export function parseAuthClients(text: string, file: string): ClientDirectory {
  let content: unknown;
  try {
    content = parseYaml(text);
  } catch (err) {
    fail(file, `not valid JSON or YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (!content || typeof content !== 'object' || Array.isArray(content)) fail(file, 'expected {"clients": [...], "roles": [...]}');
  const { clients = [], roles = [] } = content as Record<string, unknown>;
  if (!Array.isArray(clients)) fail(file, '"clients" must be a list');
  if (!Array.isArray(roles)) fail(file, '"roles" must be a list');
  const parsedClients = clients.map((c, i) => parseClient(file, c, i));
  const parsedRoles = roles.map((r, i) => parseRole(file, r, i));
  for (const [what, ids] of [['clientId', parsedClients.map((c) => c.clientId)], ['roleId', parsedRoles.map((r) => r.roleId)]] as const) {
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) fail(file, `${what} ${dup} appears twice`);
  }
  let roleSet: RoleSet;
  try {
    roleSet = new RoleSet(parsedRoles);
  } catch (err) {
    fail(file, (err as Error).message);
  }
  return localDirectory(parsedClients, roleSet);
}

export function loadAuthClients(file: string): ClientDirectory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAuthClients(text, file);
}

/**
 * Authenticate requests against a local directory, with a nonce cache for Hawk headers. Given
 * a function, the directory is the one it returns when a request arrives (a reload may replace
 * it): each request is verified against that one directory, never half an old one.
 */
export function localAuthenticator(directory: ClientDirectory | (() => ClientDirectory), nonceCache: NonceStore): (request: IncomingRequest) => Promise<AuthenticatedCaller> {
  const current = typeof directory === 'function' ? directory : () => directory;
  return (request) => verifyRequest(request, current(), { nonceCache });
}
