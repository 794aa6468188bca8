/**
 * What Fastify's request log may say about a secrets request: its URL without capabilities.
 * A bootstrap token in the path is the whole capability, and a bewit a bearer credential until
 * it expires; the gateway's logger already hides bewits, these routes also hide tokens.
 */
import { redactUrl as redactBewit, requestSerializer } from '../../log.js';
import { loggedToken } from './bootstrap.js';

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function redactUrl(url: string): string {
  return redactBewit(url.replace(/(\/bootstrap\/)([^/?#]+)/, (_, prefix: string, token: string) => prefix + loggedToken(safeDecode(token))));
}

// The gateway logger's `req` serializer (src/log.ts), with bootstrap tokens hashed too. Fastify's
// register options type serializers as returning strings; pino takes objects.
export const requestLogSerializers = { req: requestSerializer(redactUrl) } as unknown as Record<string, (value: unknown) => string>;
