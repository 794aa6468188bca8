/**
 * Hawk as Taskcluster uses it: signing outgoing requests and bewit URLs with the gateway's
 * credentials, and verifying incoming headers and bewits. The MAC itself is always the hawk
 * library's (`crypto.calculateMac`); only the header string is assembled here, because
 * `client.header` re-parses the URL and costs ~2.5x per request (see performance.md).
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import hawk from 'hawk';
import { parseCertificate, type Credentials } from './credentials.js';
import { GatewayError } from './errors.js';
import { hawkMaterial, type BewitAttributes, type HeaderAttributes, type IncomingRequest } from './hawk-material.js';
import { HAWK_SKEW_SEC, type NonceStore, type NonceVerdict } from './nonce-cache.js';
import { anonymousCaller, confirmResolved, resolveCredentials, resolveCredentialsEagerly, type Caller, type ClientDirectory, type ResolvedCredentials } from './auth.js';

/** base64 of `{certificate?, authorizedScopes?}`, or undefined when neither is present. */
export function hawkExt(credentials: Credentials, authorizedScopes?: readonly string[]): string | undefined {
  const ext: Record<string, unknown> = {};
  const certificate = parseCertificate(credentials.certificate);
  if (certificate) ext.certificate = certificate;
  if (authorizedScopes) ext.authorizedScopes = authorizedScopes;
  return Object.keys(ext).length > 0 ? Buffer.from(JSON.stringify(ext)).toString('base64') : undefined;
}

/** Nonces from a pre-drawn random pool: 6 random bytes each, as unique as hawk's own. */
class NonceSource {
  private pool = randomBytes(6 * 1024);
  private offset = 0;
  next(): string {
    if (this.offset + 6 > this.pool.length) {
      this.pool = randomBytes(this.pool.length);
      this.offset = 0;
    }
    const nonce = this.pool.toString('base64url', this.offset, this.offset + 6);
    this.offset += 6;
    return nonce;
  }
}

export interface SigningTarget {
  method: string;
  /** Lower-case host name, without port. */
  host: string;
  port: number;
  /** Path plus query exactly as sent. */
  resource: string;
}

export function defaultPort(protocol: string): number {
  return protocol === 'http:' ? 80 : 443;
}

/** Signs with one fixed set of credentials; ext and Hawk credentials are computed once. */
export class HawkSigner {
  readonly clientId: string;
  readonly ext: string | undefined;
  private readonly hawkCredentials: { id: string; key: string; algorithm: 'sha256' };
  private readonly headerTail: string;
  private readonly nonces = new NonceSource();

  constructor(credentials: Credentials, authorizedScopes?: readonly string[]) {
    this.clientId = credentials.clientId;
    this.ext = hawkExt(credentials, authorizedScopes);
    // hawk hands the key to createHmac, which takes a KeyObject as it is: made once here, not
    // encoded from the string on every MAC (~0.6 µs of a 3 µs header); hawk's types say string
    const key = createSecretKey(Buffer.from(credentials.accessToken, 'utf8')) as unknown as string;
    this.hawkCredentials = { id: credentials.clientId, key, algorithm: 'sha256' };
    this.headerTail = this.ext ? `", ext="${this.ext}", mac="` : '", mac="';
  }

  /** The Authorization header value for a request. */
  header(target: SigningTarget, now = Date.now()): string {
    const ts = Math.floor(now / 1000);
    const nonce = this.nonces.next();
    const mac = hawk.crypto.calculateMac('header', this.hawkCredentials, {
      ts, nonce, method: target.method, resource: target.resource, host: target.host, port: target.port, ext: this.ext,
    });
    return `Hawk id="${this.clientId}", ts="${ts}", nonce="${nonce}${this.headerTail}${mac}"`;
  }

  headerForUrl(method: string, url: string | URL): string {
    const u = typeof url === 'string' ? new URL(url) : url;
    return this.header({ method, host: u.hostname.toLowerCase(), port: u.port ? Number(u.port) : defaultPort(u.protocol), resource: u.pathname + u.search });
  }

  /** The URL with a `bewit` query parameter valid for ttlSec seconds (GET only, as Hawk defines). */
  signedUrl(url: string, ttlSec: number): string {
    // one reading of the URL for the MAC and the answer: given a string, hawk would parse it with
    // the legacy url.parse, which escapes and normalises otherwise (`|`, `..`, a trailing `?`)
    const u = new URL(url);
    const bewit = hawk.client.getBewit(u, { credentials: this.hawkCredentials, ttlSec, ext: this.ext });
    // appended as text: searchParams would re-encode the query the MAC was computed over (%20 → +)
    u.search = `${u.search ? `${u.search}&` : '?'}bewit=${bewit}`;
    return u.toString();
  }
}

/** How long a client whose header was orphaned is asked to wait: a fresh signature succeeds at once. */
const ORPHANED_RETRY_AFTER_SEC = 1;

/**
 * Throws a nonce store's refusal: a replay is 401 (`replayMessage`); an orphaned header is 503,
 * which clients retry (taskcluster-client 87's src/client.js retries every 5xx, and its makeRequest
 * signs each attempt anew, with a fresh nonce), since the client did nothing wrong: its request
 * died with the replica that took it.
 */
export function refuseUnlessAdmitted(verdict: NonceVerdict, replayMessage: string): void {
  if (verdict === 'replay') throw new GatewayError('AuthenticationFailed', replayMessage);
  if (verdict === 'orphaned') {
    throw new GatewayError('ServiceUnavailable', 'This request was taken by a gateway replica that stopped before answering; its Hawk signature is spent: sign the request again and retry', undefined, { retryAfterSec: ORPHANED_RETRY_AFTER_SEC });
  }
}

export type { IncomingRequest } from './hawk-material.js';
export { HAWK_SKEW_SEC, NONCE_WINDOW_MS, NonceCache, keyedFingerprint, type Fingerprint, type NonceStore, type NonceVerdict } from './nonce-cache.js';

export interface VerifyOptions {
  nonceCache?: NonceStore;
}

export interface AuthenticatedCaller extends Caller {
  scheme: 'hawk' | 'bewit' | 'none';
}

function hawkFailure(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError('AuthenticationFailed', message || 'Hawk authentication failed');
}

/**
 * Hawk's own order and messages (hawk.server.authenticate), over the attributes read once. It
 * waits only for what cannot answer at once (a directory or nonce store across the network, a
 * certificate's first use): a header from a client in memory is verified with no promise at all.
 */
function verifyHeader(req: IncomingRequest, attributes: HeaderAttributes, directory: ClientDirectory, nonceCache: NonceStore | undefined): AuthenticatedCaller | Promise<AuthenticatedCaller> {
  const now = Date.now();
  const resolved = resolveCredentialsEagerly(directory, attributes.id, attributes.ext || undefined, now);
  if (resolved instanceof Promise) return resolved.then((credentials) => checkHeader(req, attributes, credentials, nonceCache, now));
  return checkHeader(req, attributes, resolved, nonceCache, now);
}

/**
 * Each resolution's key as a KeyObject, made once: hawk hands the key to createHmac, which
 * otherwise imports the key string anew for every MAC (~0.6-0.9 µs of each, measured); the MAC
 * stays hawk's `calculateMac`, as HawkSigner's does.
 */
const macKeys = new WeakMap<ResolvedCredentials, KeyObject>();

function macKey(resolved: ResolvedCredentials): string {
  let key = macKeys.get(resolved);
  if (!key) macKeys.set(resolved, (key = createSecretKey(Buffer.from(resolved.key, 'utf8'))));
  // hawk's types say string; createHmac takes the KeyObject as it is
  return key as unknown as string;
}

function checkHeader(req: IncomingRequest, attributes: HeaderAttributes, resolved: ResolvedCredentials, nonceCache: NonceStore | undefined, now: number): AuthenticatedCaller | Promise<AuthenticatedCaller> {
  const { id, ts, nonce, mac, hash, ext } = attributes;
  const artifacts = { method: req.method, host: req.host, port: req.port, resource: req.resource, ts, nonce, hash, ext, app: attributes.app, dlg: attributes.dlg };
  if (!constantTimeEqual(hawk.crypto.calculateMac('header', { id, key: macKey(resolved), algorithm: 'sha256' }, artifacts), mac)) throw new GatewayError('AuthenticationFailed', 'Bad mac');
  if (hash && req.payload !== undefined && !constantTimeEqual(hawk.crypto.calculatePayloadHash(req.payload, 'sha256', req.contentType ?? ''), hash)) {
    throw new GatewayError('AuthenticationFailed', 'Bad payload hash');
  }
  // made by the key's holder: what its ext resolved to may be kept (nothing is before this point)
  confirmResolved(resolved);
  // hawk checks the nonce first; stale first here, so a stale header never takes a place in the cache
  if (Math.abs(Number(ts) * 1000 - now) > HAWK_SKEW_SEC * 1000) throw new GatewayError('AuthenticationFailed', 'Stale timestamp');
  if (!nonceCache) return headerCaller(resolved);
  const verdict = nonceCache.admit(id, nonce, ts, now);
  if (typeof verdict === 'string') return admittedCaller(verdict, resolved);
  return verdict.then((answer) => admittedCaller(answer, resolved));
}

function admittedCaller(verdict: NonceVerdict, resolved: ResolvedCredentials): AuthenticatedCaller {
  refuseUnlessAdmitted(verdict, 'Invalid nonce');
  return headerCaller(resolved);
}

/**
 * The caller of a Hawk header, made once per resolution: resolveCredentials answers the same
 * (frozen) object for every request a client or certificate signs, and so does this.
 */
const headerCallers = new WeakMap<ResolvedCredentials, AuthenticatedCaller>();

function headerCaller(resolved: ResolvedCredentials): AuthenticatedCaller {
  let caller = headerCallers.get(resolved);
  if (!caller) {
    const { key: _key, ...rest } = resolved;
    caller = Object.freeze({ ...rest, scheme: 'hawk' as const });
    headerCallers.set(resolved, caller);
  }
  return caller;
}

/**
 * The MAC, expiry and resource are hawk's own check (hawk.uri.authenticate); the id and ext the
 * caller is resolved from must be the ones hawk verified, or the request is refused.
 */
async function verifyBewit(req: IncomingRequest, bewit: BewitAttributes, directory: ClientDirectory): Promise<AuthenticatedCaller> {
  let resolved: ResolvedCredentials | undefined;
  const request = { method: req.method, url: req.resource, host: req.host, port: req.port, authorization: undefined, contentType: '' };
  let verified: Record<string, unknown>;
  try {
    ({ attributes: verified } = await hawk.server.authenticateBewit(request, async (hawkId: string) => {
      if (hawkId !== bewit.id) return undefined;
      resolved = await resolveCredentials(directory, bewit.id, bewit.ext || undefined);
      return { id: bewit.id, key: resolved.key, algorithm: 'sha256' };
    }));
  } catch (err) {
    throw hawkFailure(err);
  }
  if (!resolved || verified.id !== bewit.id || verified.ext !== bewit.ext) throw new GatewayError('AuthenticationFailed', 'The bewit verified is not the bewit read');
  confirmResolved(resolved);
  const { key: _key, ...caller } = resolved;
  return { ...caller, scheme: 'bewit' };
}

/**
 * Authenticate a request as a Taskcluster service does: no credentials → anonymous; a Hawk
 * header (15-minute skew, nonce cache when given, payload hash when sent); or a bewit.
 * Material with no single meaning is refused first (see hawkMaterial).
 */
export async function verifyRequest(req: IncomingRequest, directory: ClientDirectory, options: VerifyOptions = {}): Promise<AuthenticatedCaller> {
  const material = hawkMaterial(req);
  if (material.scheme === 'none') return { ...anonymousCaller(directory), scheme: 'none' };
  if (material.scheme === 'hawk') return verifyHeader(req, material.attributes, directory, options.nonceCache);
  return verifyBewit(req, material.bewit, directory);
}
