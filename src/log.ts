/**
 * Logging: pino JSON lines with every secret redacted — access tokens, certificates (their
 * signatures), Authorization headers, bewits, secret values and RelengAPI tokens.
 *
 * Redaction is a walk over each logged object rather than pino's path-based `redact`: the
 * wildcard paths that catch a secret key at any nesting cost ~15 µs per line here, five times
 * the line itself, and still only reach the depths listed; the walk reaches every depth and
 * copies only the objects it changes.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

const CENSOR = '[REDACTED]';
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
  if (depth >= MAX_DEPTH) return CENSOR;
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
    const replaced = SECRET_KEYS.has(key.toLowerCase()) ? (item === undefined ? item : CENSOR) : redact(item, depth + 1);
    if (replaced !== item) (copy ??= { ...value })[key] = replaced;
  }
  return copy ?? value;
}

const BEWIT = /bewit=/i;

/** A URL with the value of any `bewit` query parameter replaced. */
export function redactUrl(url: string): string {
  return BEWIT.test(url) ? url.replace(/([?&]bewit=)[^&]*/gi, `$1${CENSOR}`) : url;
}

interface LoggedRequest { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }

/** The `req` serializer: method, the URL with its capabilities replaced by `safeUrl`, the client's address. */
export function requestSerializer(safeUrl: (url: string) => string = redactUrl): (req: LoggedRequest) => Record<string, unknown> {
  return (req) => ({ method: req.method, url: safeUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress });
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    // pino applies this to each logged object before its serializers; the serializers below
    // redact their own output, so nothing reaches the line unwalked
    formatters: { log: (object) => redact(object) as Record<string, unknown> },
    serializers: {
      req: requestSerializer(),
      // the standard serializer's result has a prototype of its own: copied to be walked
      err: (err: Error) => redact({ ...pino.stdSerializers.err(err) }),
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
