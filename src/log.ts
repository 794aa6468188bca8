/**
 * Logging: pino JSON lines with every secret redacted — access tokens, certificates (their
 * signatures), Authorization headers, bewits and other bearer material in URLs, bootstrap
 * tokens, secret values and RelengAPI tokens.
 *
 * Redaction is a walk over each logged object rather than pino's path-based `redact`: the
 * wildcard paths that catch a secret key at any nesting cost ~15 µs per line here, five times
 * the line itself, and still only reach the depths listed; the walk reaches every depth and
 * copies only the objects it changes.
 */
import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { quotableMessage, REDACTED, safeDecode, withoutUrlCredentials } from './core/url-credentials.js';

/** Keys whose values are secret wherever they appear (compared case-insensitively). */
const SECRET_KEYS: ReadonlySet<string> = new Set(['accesstoken', 'certificate', 'signature', 'authorization', 'token', 'secret', 'bewit', 'password', 'data', 'x-relengapi-token', 'set-cookie']);
/** Deeper than anything the gateway logs; what lies beyond is dropped rather than walked. */
const MAX_DEPTH = 8;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The value with every secret key's value censored; unchanged objects are returned as they are. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = redact(value[i], depth + 1);
      if (item !== value[i]) (copy ??= [...value])[i] = item;
    }
    return copy ?? value;
  }
  // only plain objects and arrays are walked: requests, replies and errors are class instances
  // that the serializers below turn into plain objects of chosen fields
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const item = value[key];
    const replaced = SECRET_KEYS.has(key.toLowerCase()) ? (item === undefined ? item : REDACTED) : redact(item, depth + 1);
    if (replaced !== item) (copy ??= { ...value })[key] = replaced;
  }
  return copy ?? value;
}

/** A path segment `bootstrap` joined to its token by an escaped slash (`bootstrap%2F<token>`). */
const JOINED_SEGMENT = /^(.+?%2f)(.*)$/i;
/**
 * How a bootstrap token appears in logs: enough to correlate lines (the request line and the
 * secrets audit line carry the same one), useless to claim with.
 */
export function loggedToken(token: string): string {
  return `bootstrap:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * The token after a `bootstrap` segment, as the router reads the path (segments decoded: the
 * route also answers `%62ootstrap/<token>`), replaced by its fingerprint; the rest as written.
 */
function redactBootstrapTokens(path: string): string {
  if (!/bootstrap|%[0-9a-f]{2}/i.test(path)) return path;
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const decoded = safeDecode(segment).toLowerCase();
    if (decoded === 'bootstrap' && i + 1 < segments.length && segments[i + 1] !== '') {
      segments[i + 1] = loggedToken(safeDecode(segments[i + 1]!));
      i++;
      continue;
    }
    const joined = decoded.startsWith('bootstrap/') ? JOINED_SEGMENT.exec(segment) : null;
    if (joined && safeDecode(joined[1]!).toLowerCase() === 'bootstrap/') segments[i] = joined[1]! + loggedToken(safeDecode(joined[2]!));
  }
  return segments.join('/');
}

/**
 * A URL as logs may show it: the values of bearer query parameters (`bewit` and the like, the
 * name matched however it is percent-encoded) replaced, bootstrap tokens in the path replaced
 * by their fingerprint, credentials of an embedded URL removed.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = redactBootstrapTokens(q < 0 ? url : url.slice(0, q));
  // credentials of a URL embedded in the path (the proxy's `/https://user:pass@host/…` form), a query value, or escaped in either
  return withoutUrlCredentials(q < 0 ? path : `${path}${url.slice(q)}`, REDACTED);
}

interface LoggedRequest { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }

/**
 * The one `req` serializer, for every listener and plugin: method, the URL without its bearer
 * material (redactUrl), the client's address.
 */
export function requestSerializer(req: LoggedRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress };
}

/**
 * A serialized error as a plain object, its message and stack, and those of the errors it holds
 * (an AggregateError's, an error-valued property; a cause is already part of both), quoting every
 * URL without its credentials (quotableMessage): fetch's own errors quote the URL they were given
 * whole ("Request cannot be constructed from a URL that includes credentials:
 * https://user:password@..."), an upstream's answer may quote one with `?bewit=` or `?accessToken=`.
 * Plain, so that redact walks the nested ones too.
 */
function quotableError(serialized: Record<string, unknown>): Record<string, unknown> {
  const err: Record<string, unknown> = { ...serialized };
  for (const [key, value] of Object.entries(err)) {
    if ((key === 'message' || key === 'stack') && typeof value === 'string') err[key] = quotableMessage(value);
    else if (key === 'aggregateErrors' && Array.isArray(value)) err[key] = value.map((item) => (isSerializedError(item) ? quotableError(item) : item));
    else if (isSerializedError(value)) err[key] = quotableError(value);
  }
  return err;
}

/** What pino's err serializer made of an error (its own prototype, not a plain object). */
function isSerializedError(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isPlainObject(value) && 'stack' in value && 'type' in value;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    // pino applies this to each logged object before its serializers; the serializers below
    // redact their own output, so nothing reaches the line unwalked
    formatters: { log: (object) => redact(object) as Record<string, unknown> },
    serializers: {
      req: requestSerializer,
      // the standard serializer's result has a prototype of its own: copied (quotableError) to be walked
      err: (err: Error) => redact(quotableError(pino.stdSerializers.err(err) as unknown as Record<string, unknown>)),
    },
  };
}

/**
 * To `destination`, or to stdout through an asynchronous buffer: a write per line would cost a
 * system call per request. pino flushes that buffer when the process exits.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: false }));
}
