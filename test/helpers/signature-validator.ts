/**
 * The Taskcluster auth service's signature validation, for the test fakes, written independently
 * of the gateway's src/core: the MAC, timestamp, bewit expiry and payload hash are the `hawk`
 * library's own server functions (hawk.server.authenticate, hawk.uri.authenticate,
 * hawk.server.authenticatePayload); certificates and authorizedScopes follow the auth service's
 * rules (services/auth/src/signaturevalidator.js: order, 5-minute certificate skew, 31 days at
 * most, the signature over `version/clientId/issuer/seed/start/expiry/scopes` lines, the
 * temporary key as HMAC(accessToken, seed) in base64url), with taskcluster-lib-scopes for scopes.
 * A fake that accepts a request the gateway signed therefore proves agreement, not self-consistency.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import hawk from 'hawk';
import scopeLib from 'taskcluster-lib-scopes';

export interface ValidatorClient {
  clientId: string;
  accessToken: string;
  /** Scopes with roles already expanded. */
  scopes: string[];
  expires?: Date;
  disabled?: boolean;
}

export interface ValidatorOptions {
  client(clientId: string): ValidatorClient | undefined | Promise<ValidatorClient | undefined>;
  /** Expand roles (`assume:...`); the identity when there are none. */
  expand(scopes: string[]): string[];
}

export interface SignatureRequest {
  method: string;
  resource: string;
  host: string;
  port: number;
  authorization?: string | undefined;
  /** When given with a header carrying `hash`, the payload hash is checked (hawk.server.authenticatePayload). */
  payload?: string | undefined;
  contentType?: string | undefined;
}

export type SignatureResult =
  | { status: 'no-auth'; scheme: 'none'; scopes: string[] }
  | { status: 'auth-success'; scheme: 'hawk' | 'bewit'; clientId: string; scopes: string[]; expires: Date | undefined; hash?: string; verified: { id: string; ext: string } }
  | { status: 'auth-failed'; message: string };

const SKEW_MS = 5 * 60 * 1000;
const MAX_LIFETIME_MS = 31 * 24 * 60 * 60 * 1000;
/** Where the auth service looks for a bewit, and how it splits it (hawk's own regex). */
const BEWIT_IN_RESOURCE = /^\/.*[?&]bewit=/;
const BEWIT_PARTS = /^(\/.*)([?&])bewit=([^&$]*)(?:&(.+))?$/;

function decodeExt(ext: string): Record<string, any> {
  try {
    return JSON.parse(Buffer.from(ext, 'base64').toString('utf-8'));
  } catch {
    throw new Error('Failed to parse ext');
  }
}

function base64url(buffer: Buffer): string {
  return buffer.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '');
}

/** The certificate and authorizedScopes rules, in the auth service's order. */
function limitByExt(name: string, issuer: ValidatorClient, ext: Record<string, any>, expand: (s: string[]) => string[]) {
  let { scopes, expires, accessToken } = issuer;
  const cert = ext.certificate;
  if (cert) {
    if (!(cert instanceof Object)) throw new Error('ext.certificate must be a JSON object');
    if (cert.version !== 1) throw new Error('ext.certificate.version must be 1');
    if (typeof cert.seed !== 'string' || cert.seed.length !== 44) throw new Error('ext.certificate.seed must be a string of 44 characters');
    if (typeof cert.start !== 'number' || typeof cert.expiry !== 'number') throw new Error('ext.certificate.start and expiry must be numbers');
    if (!Array.isArray(cert.scopes) || !cert.scopes.every((s: unknown) => typeof s === 'string' && scopeLib.validScope(s))) throw new Error('ext.certificate.scopes must be an array of valid scopes');
    const now = Date.now();
    if (cert.start > now + SKEW_MS) throw new Error('ext.certificate.start > now');
    if (cert.expiry < now - SKEW_MS) throw new Error('ext.certificate.expiry < now');
    if (cert.expiry - cert.start > MAX_LIFETIME_MS) throw new Error('ext.certificate cannot last longer than 31 days');
    if (issuer.clientId !== name) {
      if (!scopeLib.satisfiesExpression(scopes, `auth:create-client:${name}`)) throw new Error(`ext.certificate issuer lacks auth:create-client:${name}`);
    } else if ('clientId' in cert) {
      throw new Error('ext.certificate.clientId must only be used with ext.certificate.issuer');
    }
    if (!scopeLib.satisfiesExpression(scopes, { AllOf: cert.scopes })) throw new Error('ext.certificate issuer does not satisfy the certificate scopes');
    const lines = ['version:1', ...(cert.issuer ? [`clientId:${name}`, `issuer:${cert.issuer}`] : []), `seed:${cert.seed}`, `start:${cert.start}`, `expiry:${cert.expiry}`, 'scopes:', ...cert.scopes];
    const signature = createHmac('sha256', accessToken).update(lines.join('\n')).digest('base64');
    if (typeof cert.signature !== 'string' || cert.signature.length !== signature.length || !timingSafeEqual(Buffer.from(cert.signature), Buffer.from(signature))) {
      throw new Error('ext.certificate.signature is not valid');
    }
    accessToken = base64url(createHmac('sha256', accessToken).update(cert.seed).digest());
    const certExpires = new Date(cert.expiry);
    if (!expires || expires > certExpires) expires = certExpires;
    scopes = cert.scopes;
  }
  if (ext.authorizedScopes) {
    if (!Array.isArray(ext.authorizedScopes) || !ext.authorizedScopes.every((s: unknown) => typeof s === 'string' && scopeLib.validScope(s))) {
      throw new Error('ext.authorizedScopes must be an array of valid scopes');
    }
    const held = expand([...scopes, 'assume:anonymous']);
    if (!scopeLib.satisfiesExpression(held, { AllOf: ext.authorizedScopes })) throw new Error('Supplied credentials do not satisfy authorizedScopes');
    scopes = ext.authorizedScopes;
  }
  return { scopes, expires, accessToken };
}

async function loadCredentials(options: ValidatorOptions, name: string, ext: string | undefined) {
  const parsed = ext ? decodeExt(ext) : undefined;
  let issuerId = name;
  if (parsed?.certificate?.issuer) {
    issuerId = parsed.certificate.issuer;
    if (typeof issuerId !== 'string') throw new Error('ext.certificate.issuer must be a string');
    if (issuerId === name) throw new Error('ext.certificate.issuer must differ from the supplied clientId');
  }
  const issuer = await options.client(issuerId);
  if (!issuer || issuer.disabled) throw new Error(`Client ID ${issuerId} does not exist`);
  if (issuer.expires && issuer.expires.getTime() < Date.now()) throw new Error(`Client ID ${issuerId} has expired`);
  const limited = parsed ? limitByExt(name, issuer, parsed, options.expand) : issuer;
  return { id: name, key: limited.accessToken, algorithm: 'sha256' as const, clientId: name, expires: limited.expires, scopes: options.expand([...limited.scopes, 'assume:anonymous']) };
}

/** The ext of the bewit the auth service reads: the last `bewit=` (hawk's greedy regex), latin1. */
function bewitExt(resource: string): string | undefined {
  const encoded = BEWIT_PARTS.exec(resource)?.[3];
  if (encoded === undefined || !/^[\w-]*$/.test(encoded)) return undefined;
  const parts = Buffer.from(encoded, 'base64').toString('binary').split('\\');
  return parts.length === 4 && parts[3] ? parts[3] : undefined;
}

function failure(err: unknown): SignatureResult {
  const boom = err as { isBoom?: boolean; isServer?: boolean; output?: { payload: { error: string; message?: string } }; message?: string };
  const message = boom.isBoom && !boom.isServer ? `${boom.output!.payload.error}${boom.output!.payload.message ? `: ${boom.output!.payload.message}` : ''}` : String(boom.message ?? err);
  return { status: 'auth-failed', message };
}

/** Answers as the auth service's authenticateHawk does, with the id and ext hawk verified. */
export function signatureValidator(options: ValidatorOptions): (req: SignatureRequest) => Promise<SignatureResult> {
  return async (req) => {
    const hawkRequest = { method: req.method.toUpperCase(), url: req.resource, host: req.host, port: req.port, authorization: req.authorization };
    try {
      if (req.authorization) {
        const authorization = req.authorization;
        const { credentials, artifacts } = await hawk.server.authenticate(hawkRequest, async (id: string) => loadCredentials(options, id, hawk.utils.parseAuthorizationHeader(authorization).ext), { timestampSkewSec: 15 * 60 });
        const c = credentials as Awaited<ReturnType<typeof loadCredentials>>;
        if (artifacts.hash && req.payload !== undefined) hawk.server.authenticatePayload(req.payload, c, artifacts, req.contentType ?? '');
        return { status: 'auth-success', scheme: 'hawk', clientId: c.clientId, scopes: c.scopes, expires: c.expires, ...(artifacts.hash ? { hash: artifacts.hash as string } : {}), verified: { id: artifacts.id, ext: artifacts.ext ?? '' } };
      }
      if (BEWIT_IN_RESOURCE.test(req.resource)) {
        const { credentials, attributes } = await hawk.server.authenticateBewit(hawkRequest, async (id: string) => loadCredentials(options, id, bewitExt(req.resource)));
        const c = credentials as Awaited<ReturnType<typeof loadCredentials>>;
        return { status: 'auth-success', scheme: 'bewit', clientId: c.clientId, scopes: c.scopes, expires: c.expires, verified: { id: attributes.id, ext: attributes.ext ?? '' } };
      }
      return { status: 'no-auth', scheme: 'none', scopes: options.expand(['assume:anonymous']) };
    } catch (err) {
      return failure(err);
    }
  };
}
