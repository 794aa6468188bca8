/**
 * The origin form (path and query) of an HTTP request target. A server must accept the absolute
 * form too (`GET http://host/path`, RFC 9112 §3.2.2: what a client configured with an HTTP proxy
 * sends), and Fastify's router (find-my-way's getPathFromAbsoluteUrl, not exported) routes it by
 * what follows its `http(s)://authority`. What reads the target after routing (the proxy's
 * target, relengapi's service, FORCE_SSL's redirect) reads it the same way, so the route taken
 * and the target served are one reading of it: before, the proxy resolved `http://host/queue/...`
 * as the service `ttp:` (404), relengapi as no prefix (404). The authority names nothing here
 * (the listener reached is what was addressed) and is dropped; the rest is kept byte for byte
 * (no `..` resolved, nothing decoded), as the proxy forwards paths.
 */

/** `http(s)://`, any case, then the authority: up to the first `/` or `?`, not empty. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?]+/i;

/** The target's path and query; undefined for a target in neither form (`*`, an authority, a fragment). */
export function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  const authority = ABSOLUTE_FORM.exec(target);
  if (!authority || target.includes('#')) return undefined;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
