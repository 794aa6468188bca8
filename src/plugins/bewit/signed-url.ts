/**
 * What `/bewit` accepts: the body, trimmed, must be one absolute http(s) URL (any host: the
 * original signs whatever it is given; the bewit only works where the credentials do). A URL that
 * already has a `bewit` parameter is refused: a second bewit beside ours would give the URL two
 * readings, and a verifier reading the other one would act on credentials we never signed for.
 */
import { GatewayError } from '../../core/errors.js';
import { bewitParameters } from '../../core/hawk-material.js';

/** The one default of `/bewit`'s settings, the convict schema's (capability.ts) and the plugin's. */
export const BEWIT_DEFAULTS = { ttlSec: 3600 } as const;

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
  if (bewitParameters(url.pathname + url.search).length > 0 || url.searchParams.has('bewit')) {
    throw new GatewayError('InputError', 'the URL already has a bewit parameter: remove it, /bewit adds the only one');
  }
  return text;
}
