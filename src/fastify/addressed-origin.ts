/**
 * Where the client addressed this listener, for everything the gateway builds from it: the
 * references' rootUrl, FORCE_SSL's redirect, the host and port a Hawk MAC covers.
 *
 * The Host header says it, or, from a trusted front proxy only, X-Forwarded-Host/-Proto/-Port.
 * Of a header a proxy appended to, the last entry counts: the nearest proxy's own, not one the
 * client wrote before it. A request without a Host (HTTP/1.0) addressed the listener itself.
 * An origin is only ever built from a scheme that is http or https and a host that is a DNS
 * name or IP address with an optional port: anything else (`evil.example/x?`, userinfo, spaces,
 * an overlong name) is refused as 400 InputError, never echoed into a URL or a JSON answer.
 */
import { isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';

/** Whether a TCP peer is a trusted front proxy, whose X-Forwarded-* headers are believed (TrustedProxies.trusts). */
export type TrustedPeer = (address: string | undefined) => boolean;

/** The addressed authority as the headers give it, unchecked (a Hawk MAC covers hawk's reading of it). */
export interface AddressedHeaders {
  /** Host, or a trusted proxy's X-Forwarded-Host; undefined when neither is sent or both are empty. */
  host: string | undefined;
  /** Which header `host` came from, for the refusal that names it. */
  hostHeader: 'Host' | 'X-Forwarded-Host';
  /** A trusted proxy's X-Forwarded-Proto. */
  proto: string | undefined;
  /** A trusted proxy's X-Forwarded-Port. */
  port: string | undefined;
}

function lastEntry(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined.slice(joined.lastIndexOf(',') + 1).trim() || undefined;
}

/** What the request's headers say it addressed: X-Forwarded-* only when the peer is a trusted proxy. */
export function addressedHeaders(request: FastifyRequest, trusted: TrustedPeer): AddressedHeaders {
  const fromProxy = trusted(request.socket.remoteAddress);
  const headers = request.headers;
  const forwardedHost = fromProxy ? lastEntry(headers['x-forwarded-host']) : undefined;
  return {
    host: forwardedHost ?? (headers.host || undefined),
    hostHeader: forwardedHost === undefined ? 'Host' : 'X-Forwarded-Host',
    proto: fromProxy ? lastEntry(headers['x-forwarded-proto']) : undefined,
    port: fromProxy ? lastEntry(headers['x-forwarded-port']) : undefined,
  };
}

/** The scheme the client used: a trusted proxy's word (http or https only, else 400), or the socket's. */
export function addressedProtocol(request: FastifyRequest, given: AddressedHeaders): 'http' | 'https' {
  if (given.proto === undefined) return (request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const proto = given.proto.toLowerCase();
  if (proto !== 'http' && proto !== 'https') throw new GatewayError('InputError', 'X-Forwarded-Proto must be http or https');
  return proto;
}

/** A DNS name (letters, digits, `-`, `_`, `.`) or a bracketed IPv6 address, then an optional port. */
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9_][A-Za-z0-9_.-]*)(?::(\d*))?$/;
/** A DNS name has at most 253 characters; with brackets, an IPv6 address and a port, no valid host is longer. */
const MAX_HOST_LENGTH = 253 + ':65535'.length;
const PORT = /^\d{1,5}$/;

function validPort(text: string): boolean {
  return PORT.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** A trusted proxy's X-Forwarded-Port as a number, undefined when none is given; 400 InputError unless 1-65535. */
export function forwardedPort(given: AddressedHeaders): number | undefined {
  if (given.port === undefined) return undefined;
  if (!validPort(given.port)) throw new GatewayError('InputError', 'X-Forwarded-Port must be a port number (1-65535)');
  return Number(given.port);
}

/** The listener's own address, for a request that names none. */
function listenerAuthority(request: FastifyRequest): string {
  const address = (request.socket.localAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return `${isIPv6(address) ? `[${address}]` : address}:${request.socket.localPort}`;
}

/**
 * The origin the client addressed (`https://gateway.example.com`, `http://127.0.0.1:8080`), in
 * the WHATWG URL's normal form; 400 InputError when the headers name no valid one.
 */
export function addressedOrigin(request: FastifyRequest, trusted: TrustedPeer): string {
  const given = addressedHeaders(request, trusted);
  const protocol = addressedProtocol(request, given);
  const authority = given.host ?? listenerAuthority(request);
  const invalid = new GatewayError('InputError', `The ${given.hostHeader} header is not a valid host[:port]`);
  const match = authority.length <= MAX_HOST_LENGTH ? HOST.exec(authority) : null;
  if (!match || (match[1] !== undefined && !isIPv6(match[1])) || (match[2] && !validPort(match[2]))) throw invalid;
  const port = forwardedPort(given);
  let url: URL;
  try {
    url = new URL(`${protocol}://${authority}`);
  } catch {
    // a name the URL parser reads as an IPv4 address it cannot be (`999.1.1.1`)
    throw invalid;
  }
  if (port !== undefined) url.port = String(port);
  return url.origin;
}

/** The request headers an origin read from the request depends on: a cache in front must key its copies on them (Vary, RFC 9110 §12.5.5). */
export const ADDRESSING_HEADERS = 'Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port';

/**
 * The origin to build absolute URLs on: the configured public origin (publicUrl) when there is
 * one, else the one the client addressed (addressedOrigin, 400 when invalid), the answer then
 * marked `Vary` on the headers that said it, so that a shared cache never hands one client's
 * Host-made URLs to another.
 */
export function publicOrigin(request: FastifyRequest, reply: FastifyReply, trusted: TrustedPeer, configured: string | undefined): string {
  if (configured !== undefined) return configured;
  reply.header('vary', ADDRESSING_HEADERS);
  return addressedOrigin(request, trusted);
}
