/**
 * What Fastify's request log may say about a secrets request: its URL without capabilities.
 * A bootstrap token in the path is the whole capability and a bewit is a bearer credential
 * until it expires, so both are replaced before the line is written.
 */
import type { FastifyRequest } from 'fastify';
import { loggedToken } from './bootstrap.js';

export function redactUrl(url: string): string {
  return url
    .replace(/(\/bootstrap\/)([^/?#]+)/, (_, prefix: string, token: string) => prefix + loggedToken(safeDecode(token)))
    .replace(/([?&]bewit=)[^&]*/, '$1(OMITTED)');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Fastify's default `req` serializer, with the URL redacted. */
const serializeRequest = (request: FastifyRequest) => ({
  method: request.method,
  url: redactUrl(request.url),
  host: request.host,
  remoteAddress: request.ip,
  remotePort: request.socket?.remotePort,
});

// Fastify's register options type serializers as returning strings; pino takes objects.
export const requestLogSerializers = { req: serializeRequest } as unknown as Record<string, (value: unknown) => string>;
