/**
 * Bootstrap tokens and continuation tokens: both opaque strings, made and read only here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../../../core/errors.js';

/** 256 random bits, URL-safe: the token is the whole capability. */
export function newBootstrapToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Stored instead of the token, so a database reader cannot claim entries. */
export function hashBootstrapToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A continuation token resuming after `position` (a name, or an audit row id). */
export function encodeContinuation(position: string | number): string {
  return Buffer.from(JSON.stringify({ after: position }), 'utf8').toString('base64url');
}

export function decodeContinuation<T extends 'string' | 'number'>(
  token: string | undefined,
  kind: T,
): (T extends 'string' ? string : number) | undefined {
  if (token === undefined) return undefined;
  let after: unknown;
  try {
    after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
  } catch {
    after = undefined;
  }
  if (typeof after !== kind) throw new GatewayError('InputError', 'invalid continuationToken');
  return after as (T extends 'string' ? string : number);
}
