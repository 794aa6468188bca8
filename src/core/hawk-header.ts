/**
 * A Hawk Authorization header read in one pass, for the headers clients send: `Hawk ` and then
 * `name="value"` attributes separated by commas and spaces. hawk's `parseAuthorizationHeader`
 * runs a regex `replace` with a callback and a second regex per value (about 1.5 µs of a signed
 * request, bench/results/secrets.md); this reads the same headers with index scans.
 *
 * It never decides a header alone: it answers only headers whose every character it has placed,
 * in the grammar's plainest form, and gives up (undefined) on anything else: another scheme
 * spelling, tabs, a quote or backslash or non-ASCII character in a value, an unknown or repeated
 * attribute, an empty value, stray text, a header over hawk's length limit. Those go to hawk's
 * own parser, so every refusal and its message stay hawk's. Checked against hawk on generated
 * headers, malformed ones among them (test/core/hawk-header.test.ts).
 */
import hawk from 'hawk';

/** The attributes hawk.utils.parseAuthorizationHeader accepts, each absent one undefined. */
export interface HawkHeaderAttributes {
  id: string | undefined;
  ts: string | undefined;
  nonce: string | undefined;
  hash: string | undefined;
  ext: string | undefined;
  mac: string | undefined;
  app: string | undefined;
  dlg: string | undefined;
}

const SPACE = 0x20;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const TILDE = 0x7e;

function skipSpaces(header: string, at: number): number {
  while (at < header.length && header.charCodeAt(at) === SPACE) at++;
  return at;
}

/**
 * The attributes of a plainly written header, exactly as hawk reads them; undefined when the
 * header is not plainly written (then only hawk's parser may say what it is).
 */
export function scanHawkHeader(header: string): HawkHeaderAttributes | undefined {
  if (header.length > hawk.utils.limits.maxMatchLength || !header.startsWith('Hawk ')) return undefined;
  const found: HawkHeaderAttributes = { id: undefined, ts: undefined, nonce: undefined, hash: undefined, ext: undefined, mac: undefined, app: undefined, dlg: undefined };
  let at = skipSpaces(header, 5);
  if (at === header.length) return undefined;
  while (at < header.length) {
    const equals = header.indexOf('="', at);
    if (equals < 0) return undefined;
    const name = header.slice(at, equals);
    const close = header.indexOf('"', equals + 2);
    // a value is one or more of hawk's characters: printable ASCII but the quote and backslash
    if (close <= equals + 2) return undefined;
    for (let i = equals + 2; i < close; i++) {
      const c = header.charCodeAt(i);
      if (c < SPACE || c > TILDE || c === BACKSLASH) return undefined;
    }
    const value = header.slice(equals + 2, close);
    // one named store per attribute: found[name], its name varying, is a megamorphic keyed load
    // and store in V8 (~5 % of a verification's instructions, callgrind)
    switch (name) {
      case 'id': if (found.id !== undefined) return undefined; found.id = value; break;
      case 'ts': if (found.ts !== undefined) return undefined; found.ts = value; break;
      case 'nonce': if (found.nonce !== undefined) return undefined; found.nonce = value; break;
      case 'hash': if (found.hash !== undefined) return undefined; found.hash = value; break;
      case 'ext': if (found.ext !== undefined) return undefined; found.ext = value; break;
      case 'mac': if (found.mac !== undefined) return undefined; found.mac = value; break;
      case 'app': if (found.app !== undefined) return undefined; found.app = value; break;
      case 'dlg': if (found.dlg !== undefined) return undefined; found.dlg = value; break;
      default: return undefined;
    }
    at = skipSpaces(header, close + 1);
    if (at === header.length) break;
    if (header.charCodeAt(at) !== COMMA) return undefined;
    at = skipSpaces(header, at + 1);
  }
  return found;
}
