/**
 * One type per convict schema, derived from the schema itself (never written twice): a key's
 * type is the type of its `default`.
 */
export type SettingsOf<S> = {
  -readonly [K in keyof S]: S[K] extends { default: infer D } ? D : SettingsOf<S[K]>;
};

import type { Credentials } from '../core/credentials.js';
import { ConfigError } from '../core/errors.js';

export { ConfigError };

export function requireSetting<T>(value: T | null | undefined | '', name: string, hint = ''): T {
  if (value === null || value === undefined || value === '') throw new ConfigError(`missing required setting ${name}${hint ? ` (${hint})` : ''}`);
  return value;
}

/**
 * Refuses a service URL the WHATWG parser cannot read (a port that is not a number, an unclosed
 * IPv6 bracket), naming the setting but not the URL, which may carry a password. ConfigError.
 */
export function requireParsableUrl(url: string, name: string): void {
  if (!URL.canParse(url)) throw new ConfigError(`setting ${name}: not a valid URL (not shown: it may hold a password)`);
}

/** The gateway's public origin, as errors name it. */
export const PUBLIC_URL_SETTING = 'publicUrl (--public-url / GATEWAY_PUBLIC_URL)';

/**
 * The origin a URL setting names (`https://gateway.example.com` → itself, a trailing `/` dropped),
 * or undefined when the setting is empty. ConfigError unless it is an http(s) URL with no
 * userinfo, path, query or fragment: an origin is all the settings that take one can use.
 */
export function configuredOrigin(url: string, name: string): string | undefined {
  if (!url) return undefined;
  const parsed = URL.parse(url);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new ConfigError(`setting ${name}: expected an http:// or https:// URL`);
  if (parsed.username || parsed.password || parsed.pathname !== '/' || parsed.search || parsed.hash || /[?#]/.test(url)) {
    throw new ConfigError(`setting ${name}: expected an origin only (scheme, host, optional port), e.g. https://gateway.example.com`);
  }
  return parsed.origin;
}

/** The gateway's own Taskcluster credentials, as errors name them. */
export const CREDENTIALS_SETTING = 'taskcluster.clientId / taskcluster.accessToken (TASKCLUSTER_CLIENT_ID, TASKCLUSTER_ACCESS_TOKEN)';

/** The gateway's own credentials, for a capability that signs or issues with them. ConfigError when unset. */
export function requireCredentials(credentials: Credentials | undefined): Credentials {
  if (!credentials?.clientId || !credentials.accessToken) throw new ConfigError(`missing required setting ${CREDENTIALS_SETTING}`);
  return credentials;
}
