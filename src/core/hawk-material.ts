/**
 * The one reading of a request's Hawk material: which scheme it uses (none, an Authorization
 * header, a bewit) and the attributes the MAC will be checked over. Every verifier (local and
 * remote) starts here, so what is verified and what is used are read from the same bytes once.
 *
 * Stricter than the `hawk` library on purpose, never looser: anything hawk would read differently
 * from us, or that has no single meaning, is refused with 401 before a key is looked up:
 * - more than one `bewit=` parameter (hawk's regex takes the last, a naive reader the first),
 * - more than one Authorization header (Node keeps only the first of them),
 * - a bewit together with an Authorization header,
 * - a header with a repeated or unknown attribute (hawk.utils.parseAuthorizationHeader's rule),
 * - a timestamp that is not a decimal number of seconds, or a bewit expiry that is not one
 *   (`ts="abc"` compares false with every bound, so it would never go stale),
 * - a nonce longer than NONCE_MAX_LENGTH,
 * - a request with credentials whose Host has no reading (an empty host, as hawk's parseHost),
 * - an id that is no client id (the MAC does not cover a bewit's id: `root\n...` must not be read
 *   as anything but a client that cannot exist).
 */
import hawk from 'hawk';
import { CLIENT_ID } from './credentials.js';
import { GatewayError } from './errors.js';
import { scanHawkHeader, type HawkHeaderAttributes } from './hawk-header.js';

export interface IncomingRequest {
  method: string;
  /** Path plus query as received. */
  resource: string;
  /** Host and port the client addressed (part of the MAC); '' when the Host header has no reading. */
  host: string;
  port: number;
  /** The Authorization header; every value when the request repeated it (then refused). */
  authorization?: string | readonly string[] | undefined;
  /** Raw body and content type, to check a payload hash when the client sent one. */
  payload?: string | undefined;
  contentType?: string | undefined;
}

/** The attributes of a Hawk Authorization header, as hawk.utils.parseAuthorizationHeader reads them. */
export interface HeaderAttributes {
  id: string;
  ts: string;
  nonce: string;
  mac: string;
  hash?: string | undefined;
  ext?: string | undefined;
  app?: string | undefined;
  dlg?: string | undefined;
}

/** A bewit's four fields (`id\exp\mac\ext`, base64url), as hawk.uri.authenticate splits them. */
export interface BewitAttributes {
  id: string;
  exp: string;
  mac: string;
  ext: string;
}

export type HawkMaterial =
  | { scheme: 'none' }
  | { scheme: 'hawk'; header: string; attributes: HeaderAttributes }
  | { scheme: 'bewit'; bewit: BewitAttributes };

/** Seconds since the epoch, as decimal digits: up to year 33658, refusing `abc`, `1e9`, `-1`, ` 1`. */
const EPOCH_SECONDS = /^[0-9]{1,12}$/;
/** hawk's clients draw 6 characters, Taskcluster's Go client 11; room for others, not for abuse. */
export const NONCE_MAX_LENGTH = 64;
/** Where hawk (and Taskcluster's auth service) look for a bewit: `?bewit=` or `&bewit=`, anywhere. */
const BEWIT_PARAMETER = /[?&]bewit=([^&]*)/g;
/** hawk's check on a bewit before decoding it (base64url characters only). */
const BASE64URL = /^[\w-]+$/;

const refuse = (message: string) => new GatewayError('AuthenticationFailed', message);

/** How many `bewit=` parameters a resource (path plus query) carries, as hawk would look for them. */
export function bewitParameters(resource: string): string[] {
  if (!resource.includes('bewit=')) return [];
  return Array.from(resource.matchAll(BEWIT_PARAMETER), (m) => m[1]!);
}

function singleAuthorization(authorization: IncomingRequest['authorization']): string | undefined {
  if (typeof authorization === 'string' || authorization === undefined) return authorization || undefined;
  if (authorization.length > 1) throw refuse('Request has more than one Authorization header');
  return authorization[0] || undefined;
}

/** hawk's reading of the header: scanned in one pass when plainly written, by hawk's parser otherwise (see hawk-header.ts). */
function readHeader(header: string): Partial<HawkHeaderAttributes> {
  const scanned = scanHawkHeader(header);
  if (scanned) return scanned;
  try {
    return hawk.utils.parseAuthorizationHeader(header);
  } catch (err) {
    throw refuse((err as Error).message || 'Invalid Authorization header');
  }
}

function parseHeader(header: string): HeaderAttributes {
  const attributes = readHeader(header);
  const { id, ts, nonce, mac } = attributes;
  if (!id || !ts || !nonce || !mac) throw refuse('Missing attributes');
  if (!CLIENT_ID.test(id)) throw refuse('Invalid id: not a client id');
  if (!EPOCH_SECONDS.test(ts)) throw refuse('Invalid timestamp: ts must be a number of seconds');
  if (nonce.length > NONCE_MAX_LENGTH) throw refuse(`Invalid nonce: longer than ${NONCE_MAX_LENGTH} characters`);
  // named one by one: one object shape for every header, where a spread copies key by key
  return { id, ts, nonce, mac, hash: attributes.hash, ext: attributes.ext, app: attributes.app, dlg: attributes.dlg };
}

function parseBewit(encoded: string): BewitAttributes {
  if (!encoded) throw refuse('Empty bewit');
  if (!BASE64URL.test(encoded)) throw refuse('Invalid bewit encoding');
  // latin1, as hawk decodes it: the id we resolve is the id hawk checks the MAC for
  const parts = Buffer.from(encoded, 'base64url').toString('latin1').split('\\');
  if (parts.length !== 4) throw refuse('Invalid bewit structure');
  const [id, exp, mac, ext] = parts as [string, string, string, string];
  if (!id || !exp || !mac) throw refuse('Missing bewit attributes');
  if (!CLIENT_ID.test(id)) throw refuse('Invalid bewit id: not a client id');
  if (!EPOCH_SECONDS.test(exp)) throw refuse('Invalid bewit expiry: must be a number of seconds');
  return { id, exp, mac, ext };
}

/** The request's Hawk material, or 401 AuthenticationFailed when it has no single meaning. */
export function hawkMaterial(req: IncomingRequest): HawkMaterial {
  const header = singleAuthorization(req.authorization);
  const bewits = bewitParameters(req.resource);
  if (bewits.length > 1) throw refuse('Request has more than one bewit parameter');
  if (bewits.length === 1 && header !== undefined) throw refuse('Request has both a bewit and an Authorization header');
  if ((header !== undefined || bewits.length === 1) && !req.host) throw refuse('Invalid Host header');
  if (header !== undefined) return { scheme: 'hawk', header, attributes: parseHeader(header) };
  if (bewits.length === 1) return { scheme: 'bewit', bewit: parseBewit(bewits[0]!) };
  return { scheme: 'none' };
}
