/**
 * Who is calling: the auth service's rules for turning a Hawk id and `ext` into a key and a set
 * of scopes (temporary/named certificates, authorizedScopes, the anonymous role). Used by every
 * verifier in the gateway and by the test fakes of Taskcluster services, so both follow one rule.
 */
import { LRUCache } from 'lru-cache';
import { constantTimeEqual } from './constant-time.js';
import { certificateShapeProblem, MAX_TEMPORARY_LIFETIME_MS, signCertificate, temporaryAccessToken, type Certificate } from './credentials.js';
import { GatewayError } from './errors.js';
import { entryWeight } from './memo-weight.js';
import { satisfiesExpression, validScopeList } from './scopes.js';

export interface ClientRecord {
  clientId: string;
  accessToken: string;
  /** The client's scopes with roles already expanded. */
  scopes: string[];
  expires?: Date;
  disabled?: boolean;
}

export interface ClientDirectory {
  /** A record stands for fixed scopes (expansions are remembered per record): a changed client is a new record. */
  client(clientId: string): ClientRecord | undefined | Promise<ClientRecord | undefined>;
  /**
   * Expand roles (`assume:...`) in a scope set to a fixed point. `remember` false: the set comes
   * from material whose MAC is not verified yet (an ext's authorizedScopes), so no memo keeps it.
   */
  expand(scopes: string[], remember?: boolean): string[];
}

export interface Caller {
  clientId: string;
  /** Expanded scopes, including the anonymous role. */
  scopes: string[];
  expires?: Date;
}

/** The Hawk key and the caller behind a Hawk id and its ext. */
export interface ResolvedCredentials extends Caller {
  key: string;
}

export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const fail = (message: string) => new GatewayError('AuthenticationFailed', message);

/**
 * Base64 (either alphabet, padding optional) that decodes to exactly one byte string: Node's
 * decoder skips what it does not know and stops at `=`, so `e30=\n<more>` would read as `{}`.
 */
function canonicalBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  const unpadded = (value: string) => value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  return unpadded(text) === unpadded(bytes.toString('base64')) ? bytes : undefined;
}

export function parseExt(ext: string | undefined): Record<string, unknown> {
  if (!ext) return {};
  let parsed: unknown;
  try {
    const bytes = canonicalBase64(ext);
    if (!bytes) throw new Error('not base64');
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw fail('Failed to parse ext');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('ext must be a JSON object');
  return parsed as Record<string, unknown>;
}

function usableClient(record: ClientRecord | undefined, clientId: string, now: number): ClientRecord {
  if (!record || record.disabled) throw fail(`Client ID ${clientId} does not exist`);
  if (record.expires && record.expires.getTime() < now) throw fail(`Client ID ${clientId} has expired`);
  return record;
}

async function loadClient(directory: ClientDirectory, clientId: string, now: number): Promise<ClientRecord> {
  return usableClient(await directory.client(clientId), clientId, now);
}

function checkCertificateTimes(c: Pick<Certificate, 'start' | 'expiry'>, now: number): void {
  if (c.start > now + CLOCK_SKEW_MS) throw fail('ext.certificate.start > now');
  if (c.expiry < now - CLOCK_SKEW_MS) throw fail('ext.certificate.expiry < now');
}

/** Step 3 of the auth service: check a certificate against its issuer, in the service's order. */
function checkCertificate(cert: unknown, hawkId: string, issuer: ClientRecord, now: number): Certificate {
  const problem = certificateShapeProblem(cert);
  if (problem) throw fail(`ext.certificate ${problem}`);
  const c = cert as Certificate & { clientId?: unknown };
  checkCertificateTimes(c, now);
  if (c.expiry - c.start > MAX_TEMPORARY_LIFETIME_MS) throw fail('ext.certificate cannot last longer than 31 days');
  if (c.issuer !== undefined) {
    if (!satisfiesExpression(issuer.scopes, `auth:create-client:${hawkId}`)) {
      throw fail(`ext.certificate issuer ${issuer.clientId} does not have scope auth:create-client:${hawkId}`);
    }
  } else if ('clientId' in c) {
    throw fail('ext.certificate.clientId is not allowed without ext.certificate.issuer');
  }
  if (!satisfiesExpression(issuer.scopes, { AllOf: c.scopes })) throw fail('ext.certificate issuer does not have the scopes it grants');
  const expected = signCertificate(c, hawkId, issuer.accessToken);
  if (!constantTimeEqual(expected, c.signature)) throw fail('ext.certificate.signature is not valid');
  return c;
}

/**
 * Permanent credentials used as they are: the commonest caller, resolved once per record (a
 * record stands for fixed scopes) and shared by every request it signs, so none of them pays for
 * the expansion or a copy.
 */
const ownResolutions = new WeakMap<ClientRecord, ResolvedCredentials>();

function ownCredentials(directory: ClientDirectory, hawkId: string, record: ClientRecord): ResolvedCredentials {
  let resolved = ownResolutions.get(record);
  if (resolved?.clientId !== hawkId) {
    const scopes = directory.expand([...record.scopes, 'assume:anonymous']);
    resolved = Object.freeze({ clientId: hawkId, key: record.accessToken, scopes, expires: record.expires });
    ownResolutions.set(record, resolved);
  }
  return resolved;
}

/**
 * What an ext resolved to, kept per directory: a task signs every request with the same
 * certificate, and once its signature, issuer and scopes have passed, only time can change the
 * answer (the certificate's window, the issuer's record: both checked again on every use).
 */
interface ExtResolution {
  issuer: ClientRecord;
  resolved: ResolvedCredentials;
  certificate: Pick<Certificate, 'start' | 'expiry'> | undefined;
}
const EXT_RESOLUTIONS_KEPT = 10_000;
/**
 * And at most this many characters (keys and scopes): an ext is up to 4 KB of the caller's
 * choosing, resolved to hundreds of scopes, and 10,000 of them held ~200 MB; typical
 * certificates (~1 KB, a few dozen scopes) still fit by the thousand.
 */
const EXT_RESOLUTIONS_WEIGHT = 16 * 1024 * 1024;

/**
 * The least recently used leave first; a resolution heavier than the whole budget is not kept
 * (lru-cache refuses it, without throwing).
 */
const extResolutions = new WeakMap<ClientDirectory, LRUCache<string, ExtResolution>>();
const newExtResolutions = () => new LRUCache<string, ExtResolution>({
  max: EXT_RESOLUTIONS_KEPT,
  maxSize: EXT_RESOLUTIONS_WEIGHT,
  sizeCalculation: (kept, key) => entryWeight(key, kept.resolved.scopes),
});
/**
 * An ext is resolved before its MAC can be checked (the key depends on it), so a resolution is
 * kept only once a MAC made with its key verified (confirmResolved): anyone knowing a clientId
 * could otherwise fill the cache with exts of their own and bad MACs.
 */
const unconfirmed = new WeakMap<ResolvedCredentials, () => void>();

/** A MAC made with `resolved.key` verified: its ext's resolution may be kept from now on. */
export function confirmResolved(resolved: ResolvedCredentials): void {
  const keep = unconfirmed.get(resolved);
  if (!keep) return;
  unconfirmed.delete(resolved);
  keep();
}

/**
 * Resolve a Hawk id and ext to the key the MAC must be checked with and the caller's scopes.
 * Throws AuthenticationFailed with the auth service's reasons.
 */
export async function resolveCredentials(directory: ClientDirectory, hawkId: string, ext: string | undefined, now = Date.now()): Promise<ResolvedCredentials> {
  return resolveCredentialsEagerly(directory, hawkId, ext, now);
}

/**
 * resolveCredentials, answered at once where nothing has to be waited for (permanent credentials
 * from a directory in memory, the commonest caller): a promise only otherwise. May throw.
 */
export function resolveCredentialsEagerly(directory: ClientDirectory, hawkId: string, ext: string | undefined, now = Date.now()): ResolvedCredentials | Promise<ResolvedCredentials> {
  if (ext) return resolveWithExt(directory, hawkId, ext, now);
  const found = directory.client(hawkId);
  if (found instanceof Promise) return found.then((record) => ownCredentials(directory, hawkId, usableClient(record, hawkId, now)));
  return ownCredentials(directory, hawkId, usableClient(found, hawkId, now));
}

async function resolveWithExt(directory: ClientDirectory, hawkId: string, ext: string, now: number): Promise<ResolvedCredentials> {
  let kept = extResolutions.get(directory);
  if (!kept) extResolutions.set(directory, (kept = newExtResolutions()));
  // a pair no separator can forge: an id or ext holding the separator cannot alias another pair
  const cacheKey = JSON.stringify([hawkId, ext]);
  const hit = kept.get(cacheKey);
  if (hit && (await loadClient(directory, hit.issuer.clientId, now)) === hit.issuer) {
    if (hit.certificate) checkCertificateTimes(hit.certificate, now);
    return hit.resolved;
  }
  const { issuer, resolved, certificate } = await resolveExt(directory, hawkId, parseExt(ext), now);
  unconfirmed.set(resolved, () => {
    kept.set(cacheKey, { issuer, resolved, certificate: certificate && { start: certificate.start, expiry: certificate.expiry } });
  });
  return resolved;
}

async function resolveExt(directory: ClientDirectory, hawkId: string, parsed: Record<string, unknown>, now: number): Promise<ExtResolution> {
  const cert = parsed.certificate as Record<string, unknown> | undefined;
  let issuerId = hawkId;
  if (cert && typeof cert === 'object' && 'issuer' in cert) {
    if (typeof cert.issuer !== 'string') throw fail('ext.certificate.issuer must be a string');
    if (cert.issuer === hawkId) throw fail('ext.certificate.issuer must differ from the supplied clientId');
    issuerId = cert.issuer;
  }
  const record = await loadClient(directory, issuerId, now);
  let key = record.accessToken;
  let scopes = record.scopes;
  let expires = record.expires;
  let checked: Certificate | undefined;
  if (parsed.certificate !== undefined) {
    checked = checkCertificate(parsed.certificate, hawkId, record, now);
    key = temporaryAccessToken(record.accessToken, checked.seed);
    scopes = checked.scopes;
    const certExpiry = new Date(checked.expiry);
    expires = expires && expires < certExpiry ? expires : certExpiry;
  }
  if (parsed.authorizedScopes !== undefined) {
    if (!validScopeList(parsed.authorizedScopes)) throw fail('ext.authorizedScopes must be an array of valid scopes');
    const held = directory.expand([...scopes, 'assume:anonymous']);
    if (!satisfiesExpression(held, { AllOf: parsed.authorizedScopes })) {
      throw fail('Supplied credentials do not satisfy authorizedScopes; credentials have scopes: ' + JSON.stringify(scopes));
    }
    scopes = parsed.authorizedScopes;
  }
  // authorizedScopes are the caller's word until the MAC verifies: expanded, not remembered
  const resolved = Object.freeze({ clientId: hawkId, key, scopes: directory.expand([...scopes, 'assume:anonymous'], parsed.authorizedScopes === undefined), expires });
  return { issuer: record, resolved, certificate: checked };
}

/** The caller of a request without Authorization or bewit: the `anonymous` role's scopes. */
export function anonymousCaller(directory: ClientDirectory): Caller {
  return { clientId: 'anonymous', scopes: directory.expand(['assume:anonymous']) };
}
