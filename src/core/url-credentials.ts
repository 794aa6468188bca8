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
function withoutUserinfo(text: string, censor: string): string {
  return text.replace(USERINFO, `$1${censor}@`);
}

/** A query string (without its `?`) with the value of every credential parameter replaced by `censor`; the rest as written. */
function withoutQueryCredentials(query: string, censor: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && CREDENTIAL_PARAMS.has(safeDecode(name).trim().toLowerCase()) ? `${name}=${censor}` : pair;
    })
    .join('&');
}

/** `&bewit=` before any `?`: hawk finds a bewit there too (its regex looks anywhere in the resource). */
const BEWIT_IN_PATH = /(&bewit=)[^&?#/]*/gi;

/** Userinfo anywhere, `&bewit=` in the path, credential parameters in the query (what follows the first `?`). */
function withoutPlainCredentials(text: string, censor: string): string {
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)).replace(BEWIT_IN_PATH, `$1${censor}`);
  return withoutUserinfo(q < 0 ? path : `${path}?${withoutQueryCredentials(text.slice(q + 1), censor)}`, censor);
}

/** How many percent-decodings a piece of a URL is looked through: a URL embedded in it, and one embedded in that. */
const ESCAPED_DEPTH = 3;

/** The credentials a URL's plain reading finds: credential query parameters, `&bewit=`, userinfo. */
function hasPlainCredentials(text: string, censor: string): boolean {
  BEWIT_IN_PATH.lastIndex = 0;
  return BEWIT_IN_PATH.test(text) || withoutPlainCredentials(text, censor) !== text;
}

/** Whether a piece of a URL, once or more percent-decoded, is a URL holding credentials. */
function hidesCredentials(piece: string, censor: string): boolean {
  let text = piece;
  for (let i = 0; i < ESCAPED_DEPTH && text.includes('%'); i++) {
    const decoded = safeDecode(text);
    if (decoded === text) return false;
    if (hasPlainCredentials(decoded, censor)) return true;
    text = decoded;
  }
  return false;
}

/**
 * A URL passed percent-encoded inside another (a signed URL as a path segment or as a query
 * value) carries its bewit or token escaped, where the plain reading sees no `?`, `&` or `//`:
 * such a path segment or query value is replaced whole. The rest as written.
 */
function withoutEscapedCredentials(url: string, censor: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).split('/').map((segment) => (hidesCredentials(segment, censor) ? censor : segment)).join('/');
  if (q < 0) return path;
  const query = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return hidesCredentials(pair, censor) ? censor : pair;
    return hidesCredentials(pair.slice(eq + 1), censor) ? `${pair.slice(0, eq + 1)}${censor}` : pair;
  });
  return `${path}?${query.join('&')}`;
}

/** What logs and error messages show in place of a credential. */
export const REDACTED = '[REDACTED]';

/**
 * A configured URL as an error message or a log line may quote it: without its credentials. A
 * message naming the service it could not reach goes to the caller and to the log alike.
 */
export function quotableUrl(url: string): string {
  return withoutUrlCredentials(url, REDACTED);
}

/**
 * A text holding a URL with its credentials replaced by `censor`: userinfo anywhere, `&bewit=` in
 * the path, credential parameters in the query, and a path segment or query value that is itself
 * a URL holding any of these, percent-encoded (replaced whole).
 */
export function withoutUrlCredentials(text: string, censor: string): string {
  const plain = withoutPlainCredentials(text, censor);
  return plain.includes('%') ? withoutEscapedCredentials(plain, censor) : plain;
}

/** A word of a message: a URL quoted in prose holds no whitespace (fetch and undici quote it serialized, spaces escaped). */
const WORD = /\S+/g;

/**
 * A lower layer's message (fetch's, undici's, taskcluster-client's, an upstream's answer) as an
 * error or a log line may quote it: every URL in it without its credentials (withoutUrlCredentials:
 * userinfo, credential query parameters such as `bewit` or `accessToken`, escaped ones), whatever
 * the layer quoted. Word by word: withoutUrlCredentials reads its text as one URL, its query from
 * the first `?`, so over a whole message a `?` in the prose, or a URL before it, would hide the
 * query of the URL that follows. Userinfo is also looked for across the whole text, as before.
 */
export function quotableMessage(message: string): string {
  return withoutUserinfo(message.replace(WORD, (word) => withoutUrlCredentials(word, REDACTED)), REDACTED);
}
