/**
 * Logging: pino JSON lines with every secret redacted — access tokens, certificates (their
 * signatures), Authorization headers, bewits, secret values and RelengAPI tokens.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

const SECRET_KEYS = ['accessToken', 'certificate', 'signature', 'authorization', 'Authorization', 'token', 'secret', 'bewit', 'password', 'data'];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers["x-relengapi-token"]',
  'res.headers["set-cookie"]',
];

/** A URL with the value of any `bewit` query parameter replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]bewit=)[^&]*/gi, '$1[REDACTED]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
