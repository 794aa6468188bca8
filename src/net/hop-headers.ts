/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus those a Connection header names) belong to one
 * connection and never cross a proxy, in either direction. Shared by every forwarding plugin.
 */
import type { IncomingHttpHeaders } from 'node:http';

type HeaderValue = string | string[] | undefined;

export const HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);
const ORDINARY_CONNECTION = new Set(['keep-alive', 'close']);

/** Names listed in a Connection header, other than the usual keep-alive/close. */
export function connectionListed(connection: HeaderValue): Set<string> | undefined {
  if (connection === undefined) return undefined;
  // nearly every message says just one of these: no splitting or set for them (hot path)
  if (typeof connection === 'string' && ORDINARY_CONNECTION.has(connection.toLowerCase())) return undefined;
  const names = (Array.isArray(connection) ? connection.join(',') : connection).toLowerCase().split(',');
  const listed = new Set(names.map((n) => n.trim()).filter((n) => n !== '' && n !== 'close' && n !== 'keep-alive'));
  return listed.size > 0 ? listed : undefined;
}

/** The headers that may cross: without hop-by-hop ones, those Connection names, and `dropped`. */
export function forwardableHeaders(headers: IncomingHttpHeaders, dropped?: ReadonlySet<string>): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_SET.has(name) || dropped?.has(name) || listed?.has(name)) continue;
    out[name] = value;
  }
  return out;
}
