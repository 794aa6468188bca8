/**
 * Hawk as Taskcluster uses it: signing outgoing requests and bewit URLs with the gateway's
 * credentials, and verifying incoming headers and bewits. The MAC itself is always the hawk
 * library's (`crypto.calculateMac`); only the header string is assembled here, because
 * `client.header` re-parses the URL and costs ~2.5x per request (see performance.md).
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import hawk from 'hawk';
import { parseCertificate, type Credentials } from './credentials.js';
import { GatewayError } from './errors.js';
import { hawkMaterial, type BewitAttributes, type HeaderAttributes, type IncomingRequest } from './hawk-material.js';
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

export const HAWK_SKEW_SEC = 15 * 60;

/** How long a header nonce is remembered: a header stamped at the edge of the skew window stays valid this long. */
export const NONCE_WINDOW_MS = 2 * HAWK_SKEW_SEC * 1000;

/**
 * What a nonce store says of a header: `admitted` the first time (clientId, nonce, ts) is seen
 * within the window. Any other header is refused; a store only says how: `orphaned` when the
 * header was taken by a replica that stopped before answering (the balancer passing the same
 * request on to the next replica; replicas sharing Redis only), `replay` otherwise.
 */
export type NonceVerdict = 'admitted' | 'replay' | 'orphaned';

/**
 * Where the nonces of accepted Hawk headers are remembered for the skew window, so a captured
 * header cannot be replayed: in this process, or shared by replicas (through Redis).
 */
export interface NonceStore {
  /**
   * `admitted` the first time (clientId, nonce, ts) is seen within the window. A store in this
   * process answers at once, one shared through the network with a promise.
   */
  admit(clientId: string, nonce: string, ts: string, now?: number): NonceVerdict | Promise<NonceVerdict>;
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

/**
 * The nonce cache of one process. Bounded: past `maxEntries` an entry of the client holding the
 * most is forgotten, its oldest, and so that forgetting never reopens a replay, that client's
 * floor rises to the entry's timestamp: its headers stamped at or before it are refused from then
 * on. A client flooding the cache only pushes its own floor (forgetting the oldest entry of
 * whichever client made it once raised the floors of the clients that signed before a flood: their
 * fresh headers stamped in the same second, or by a clock behind, were refused as replays).
 */
interface NonceEntry { id: string; expiresAt: number; clientId: string; ts: number }

/** One client's entries in the order admitted (stale ones skipped), and how many are live. */
interface ClientEntries { entries: NonceEntry[]; head: number; live: number }

/** Drops the consumed front of a queue once it is most of it. */
function compacted(queue: NonceEntry[], head: number): [NonceEntry[], number] {
  return head > 1024 && head * 2 > queue.length ? [queue.slice(head), 0] : [queue, head];
}

export class NonceCache implements NonceStore {
  private readonly seen = new Map<string, NonceEntry>();
  /**
   * The entries in the order they were admitted, so by expiry, from `head` on: pruning takes from
   * the front. (Iterating the map from its start instead walks every slot deleted since V8 last
   * compacted the table: at the bound, each admission paid ~20 µs for it, measured.)
   */
  private queue: NonceEntry[] = [];
  private head = 0;
  /** Per client with live entries: its entries, oldest first, for the bound to forget from. */
  private readonly clients = new Map<string, ClientEntries>();
  /**
   * The client the bound forgets from: made the one holding the most whenever an admission makes
   * a client hold more than it; looked for again among all once it holds none.
   */
  private heaviest: ClientEntries | undefined;
  /** Per client: the latest timestamp (seconds) of a nonce forgotten while still live. */
  private readonly floors = new Map<string, number>();
  private floorsSweptAt = 0;
  constructor(private readonly windowMs = NONCE_WINDOW_MS, private readonly maxEntries = 100_000) {}

  admit(clientId: string, nonce: string, ts: string, now = Date.now()): NonceVerdict {
    return this.admitNow(clientId, nonce, ts, now) ? 'admitted' : 'replay';
  }

  /** admit, answered at once: for a cache layered over this one. Also refuses ts at or below the client's floor. */
  admitNow(clientId: string, nonce: string, ts: string, now = Date.now()): boolean {
    const stamp = Number(ts);
    const floor = this.floors.get(clientId);
    if (floor !== undefined && stamp <= floor) return false;
    const id = JSON.stringify([clientId, nonce, ts]);
    const entry = this.seen.get(id);
    if (entry !== undefined) {
      if (entry.expiresAt > now) return false;
      this.forget(entry);
    }
    this.prune(now);
    const admitted = { id, expiresAt: now + this.windowMs, clientId, ts: stamp };
    this.seen.set(id, admitted);
    this.queue.push(admitted);
    let own = this.clients.get(clientId);
    if (!own) this.clients.set(clientId, (own = { entries: [], head: 0, live: 0 }));
    own.entries.push(admitted);
    own.live += 1;
    if (own.live > (this.heaviest?.live ?? 0)) this.heaviest = own;
    return true;
  }

  /** Forgets an entry; its client's queue then starts at its oldest live entry (entries expire in the order admitted). */
  private forget(entry: NonceEntry): void {
    this.seen.delete(entry.id);
    const own = this.clients.get(entry.clientId)!;
    own.live -= 1;
    if (own.live === 0) {
      this.clients.delete(entry.clientId);
      if (this.heaviest === own) this.heaviest = undefined;
      return;
    }
    while (this.seen.get(own.entries[own.head]!.id) !== own.entries[own.head]) own.head++;
    [own.entries, own.head] = compacted(own.entries, own.head);
  }

  /** Drop expired entries, oldest first, then past the bound the oldest of the heaviest client: O(dropped). */
  private prune(now: number): void {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (this.seen.get(entry.id) === entry) {
        if (entry.expiresAt > now) break;
        this.forget(entry);
      }
      this.head++;
    }
    [this.queue, this.head] = compacted(this.queue, this.head);
    while (this.seen.size >= this.maxEntries) {
      const own = this.heaviest ?? (this.heaviest = this.mostEntries());
      const entry = own.entries[own.head]!;
      this.forget(entry);
      this.floors.set(entry.clientId, Math.max(this.floors.get(entry.clientId) ?? 0, entry.ts));
    }
    // a floor older than any acceptable timestamp guards nothing; swept at most once a second,
    // so admits after a flood do not walk every floor
    if (this.floors.size > 0 && now - this.floorsSweptAt >= 1000) {
      this.floorsSweptAt = now;
      for (const [clientId, floor] of this.floors) if (floor * 1000 < now - this.windowMs) this.floors.delete(clientId);
    }
  }

  private mostEntries(): ClientEntries {
    let most: ClientEntries | undefined;
    for (const own of this.clients.values()) if (!most || own.live > most.live) most = own;
    return most!;
  }
}

export type { IncomingRequest } from './hawk-material.js';

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

function checkHeader(req: IncomingRequest, attributes: HeaderAttributes, resolved: ResolvedCredentials, nonceCache: NonceStore | undefined, now: number): AuthenticatedCaller | Promise<AuthenticatedCaller> {
  const { id, ts, nonce, mac, hash, ext } = attributes;
  const artifacts = { method: req.method, host: req.host, port: req.port, resource: req.resource, ts, nonce, hash, ext, app: attributes.app, dlg: attributes.dlg };
  if (!constantTimeEqual(hawk.crypto.calculateMac('header', { id, key: resolved.key, algorithm: 'sha256' }, artifacts), mac)) throw new GatewayError('AuthenticationFailed', 'Bad mac');
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
