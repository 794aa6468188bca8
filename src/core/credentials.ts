/**
 * Taskcluster credentials: permanent, temporary (with a certificate) and named temporary
 * (certificate with an issuer). Creation follows taskcluster-client's createTemporaryCredentials
 * byte for byte; see ../../../shared/reference/taskcluster-auth.md.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { GatewayError } from './errors.js';
import { validScopeList } from './scopes.js';

export interface Certificate {
  version: 1;
  scopes: string[];
  start: number;
  expiry: number;
  seed: string;
  signature: string;
  issuer?: string;
}

export interface Credentials {
  clientId: string;
  accessToken: string;
  /** A JSON string (as passed around by workers and env vars) or the parsed object. */
  certificate?: string | Certificate | null;
}

/** Client ids as the auth service allows them (its clientId pattern). */
export const CLIENT_ID = /^[A-Za-z0-9!@/:.+|_-]+$/;

export const MAX_TEMPORARY_LIFETIME_MS = 31 * 24 * 60 * 60 * 1000;

/** Parse a certificate given as string or object; empty string / null means "permanent credentials". */
export function parseCertificate(certificate: Credentials['certificate']): Certificate | undefined {
  if (certificate === undefined || certificate === null || certificate === '') return undefined;
  let parsed: unknown = certificate;
  if (typeof certificate === 'string') {
    try {
      parsed = JSON.parse(certificate);
    } catch {
      throw new GatewayError('InputError', 'certificate is not valid JSON');
    }
  }
  const problem = certificateShapeProblem(parsed);
  if (problem) throw new GatewayError('InputError', `certificate ${problem}`);
  return parsed as Certificate;
}

/** What is wrong with a certificate's shape, or undefined when it is well formed. */
export function certificateShapeProblem(cert: unknown): string | undefined {
  if (!cert || typeof cert !== 'object' || Array.isArray(cert)) return 'must be a JSON object';
  const c = cert as Record<string, unknown>;
  if (c.version !== 1) return 'version must be 1';
  if (typeof c.seed !== 'string' || c.seed.length !== 44) return 'seed must be a 44-character string';
  if (typeof c.start !== 'number' || typeof c.expiry !== 'number') return 'start and expiry must be numbers';
  if (!validScopeList(c.scopes)) return 'scopes must be an array of valid scopes';
  if (typeof c.signature !== 'string') return 'signature must be a string';
  if ('issuer' in c && typeof c.issuer !== 'string') return 'issuer must be a string';
  return undefined;
}

/** The string the certificate signature is computed over (auth service and client agree on it). */
export function certificateSigningString(cert: Omit<Certificate, 'signature'>, clientId: string): string {
  const lines = [`version:${cert.version}`];
  if (cert.issuer !== undefined) lines.push(`clientId:${clientId}`, `issuer:${cert.issuer}`);
  lines.push(`seed:${cert.seed}`, `start:${cert.start}`, `expiry:${cert.expiry}`, 'scopes:', ...cert.scopes);
  return lines.join('\n');
}

export function signCertificate(cert: Omit<Certificate, 'signature'>, clientId: string, issuerAccessToken: string): string {
  return createHmac('sha256', issuerAccessToken).update(certificateSigningString(cert, clientId)).digest('base64');
}

/** The accessToken of temporary credentials: HMAC of the seed, url-safe base64 without padding. */
export function temporaryAccessToken(issuerAccessToken: string, seed: string): string {
  return createHmac('sha256', issuerAccessToken).update(seed).digest('base64url');
}

/** A 44-character seed, as the client makes it from two slugids (22 url-safe base64 chars each). */
export function newSeed(): string {
  const slug = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  return slug() + slug();
}

export interface TemporaryCredentialOptions {
  /** Set for named temporary credentials; must differ from the issuer. */
  clientId?: string;
  start: Date;
  expiry: Date;
  scopes: string[];
  /** The issuer's permanent credentials. */
  credentials: Credentials;
}

export function createTemporaryCredentials(options: TemporaryCredentialOptions): Required<Pick<Credentials, 'clientId' | 'accessToken'>> & { certificate: string } {
  const { credentials } = options;
  if (!credentials.clientId || !credentials.accessToken) throw new Error('issuer credentials need clientId and accessToken');
  if (credentials.certificate) throw new Error('temporary credentials cannot be used to make new temporary credentials');
  const start = options.start.getTime();
  const expiry = options.expiry.getTime();
  if (!(expiry > start)) throw new Error('expiry must be after start');
  if (expiry - start > MAX_TEMPORARY_LIFETIME_MS) throw new Error('Credentials cannot span more than 31 days');
  if (!validScopeList(options.scopes)) throw new Error('scopes must be an array of valid scopes');
  const named = options.clientId !== undefined;
  if (named && options.clientId === credentials.clientId) throw new Error('Credential issuer must be different from the name');
  const clientId = options.clientId ?? credentials.clientId;
  const unsigned: Omit<Certificate, 'signature'> = {
    version: 1,
    scopes: [...options.scopes],
    start,
    expiry,
    seed: newSeed(),
    ...(named ? { issuer: credentials.clientId } : {}),
  };
  const cert: Certificate = { ...unsigned, signature: signCertificate(unsigned, clientId, credentials.accessToken) };
  return {
    clientId,
    accessToken: temporaryAccessToken(credentials.accessToken, cert.seed),
    certificate: JSON.stringify(cert),
  };
}

/** Check the shape of credentials handed to the gateway (e.g. by PUT /credentials); throws InputError. */
export function checkCredentials(value: unknown): Credentials {
  if (!value || typeof value !== 'object') throw new GatewayError('InputError', 'credentials must be a JSON object');
  const { clientId, accessToken, certificate } = value as Record<string, unknown>;
  // it goes into every Hawk header and identity header: what no Taskcluster client can be named is refused here
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) throw new GatewayError('InputError', 'clientId must be a Taskcluster clientId (letters, digits and !@/:.+|_-)');
  if (typeof accessToken !== 'string' || accessToken === '') throw new GatewayError('InputError', 'accessToken must be a non-empty string');
  if (certificate !== undefined && certificate !== null && typeof certificate !== 'string' && typeof certificate !== 'object') {
    throw new GatewayError('InputError', 'certificate must be a JSON string or object');
  }
  parseCertificate(certificate as Credentials['certificate']);
  return { clientId, accessToken, certificate: (certificate as Credentials['certificate']) ?? undefined };
}
