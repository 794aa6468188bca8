/**
 * What `/bewit` accepts: the body, trimmed, must be one absolute http(s) URL (any host: the
 * original signs whatever it is given; the bewit only works where the credentials do).
 */
import { GatewayError } from '../../core/errors.js';

export function bewitTarget(body: unknown): string {
  const text = typeof body === 'string' ? body.trim() : '';
  if (text === '') throw new GatewayError('InputError', 'the request body must be the absolute http(s) URL to sign');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayError('InputError', 'the request body is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GatewayError('InputError', `only http(s) URLs can carry a bewit, not ${url.protocol}`);
  return text;
}
