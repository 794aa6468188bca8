/**
 * One type per convict schema, derived from the schema itself (never written twice): a key's
 * type is the type of its `default`.
 */
export type SettingsOf<S> = {
  -readonly [K in keyof S]: S[K] extends { default: infer D } ? D : SettingsOf<S[K]>;
};

import { ConfigError } from '../core/errors.js';

export { ConfigError };

export function requireSetting<T>(value: T | null | undefined | '', name: string, hint = ''): T {
  if (value === null || value === undefined || value === '') throw new ConfigError(`missing required setting ${name}${hint ? ` (${hint})` : ''}`);
  return value;
}
