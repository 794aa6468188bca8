/**
 * The credentials a URL may carry: in its userinfo (`https://user:password@host`) and as the value
 * of a credential query parameter (`?token=`, `?bewit=`, a connection string's `?password=`),
 * wherever the URL sits in a text: a logged request path embedding one, a configuration value
 * naming a service. One reading for the logs and the printed configuration, so neither shows what
 * the other hides.
 */
const USERINFO = /(\/\/)[^/?#@]*@/g;

/**
 * Query parameters whose value is a credential (names compared decoded and case-insensitively):
 * Hawk's bewit, the usual bearer and signed-URL names, and what libpq's connection URIs and
 * ioredis's take as a password (`password`, `sslpassword`).
 */
const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set([
  'accesstoken', 'access_token', 'token', 'secret', 'client_secret', 'api_key', 'apikey', 'bewit', 'password', 'sslpassword',
  'signature', 'sig', 'certificate', 'authorization', 'x-relengapi-token', 'x-amz-signature', 'x-amz-security-token', 'set-cookie', 'data',
]);

/** decodeURIComponent with `+` as a space, as forms encode it; the text itself where it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The text with every embedded URL's userinfo replaced by `censor`. */
export function withoutUserinfo(text: string, censor: string): string {
  return text.replace(USERINFO, `$1${censor}@`);
}

/** A query string (without its `?`) with the value of every credential parameter replaced by `censor`; the rest as written. */
export function withoutQueryCredentials(query: string, censor: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && CREDENTIAL_PARAMS.has(safeDecode(name).trim().toLowerCase()) ? `${name}=${censor}` : pair;
    })
    .join('&');
}

/**
 * A text holding a URL with both kinds of credentials replaced by `censor`: userinfo anywhere, and
 * credential parameters in the query (what follows the first `?`).
 */
export function withoutUrlCredentials(text: string, censor: string): string {
  const q = text.indexOf('?');
  return withoutUserinfo(q < 0 ? text : `${text.slice(0, q)}?${withoutQueryCredentials(text.slice(q + 1), censor)}`, censor);
}
