/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus those a Connection header names) belong to one
 * connection and never cross a proxy, in either direction. Shared by every forwarding plugin.
 */
import type { IncomingHttpHeaders } from 'node:http';

type HeaderValue = string | string[] | undefined;

const HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);
const ORDINARY_CONNECTION = new Set(['keep-alive', 'close']);

/** Names listed in a Connection header, other than the usual keep-alive/close. */
function connectionListed(connection: HeaderValue): Set<string> | undefined {
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

/** The hop-by-hop headers and `others` (lower case), as one set for forwardableRawHeaders. */
export function hopByHopAnd(others: Iterable<string>): ReadonlySet<string> {
  return new Set([...HOP_BY_HOP, ...others]);
}

/**
 * An answer's raw headers (name, value, name, value...) that may cross, as one flat list for
 * writeHead: without those in `dropped` (the hop-by-hop ones at least) and those its Connection names.
 */
export function forwardableRawHeaders(raw: readonly Buffer[], dropped: ReadonlySet<string> = HOP_BY_HOP_SET): string[] {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toString('latin1').toLowerCase() === 'connection') listed = connectionListed(raw[i + 1]!.toString('latin1'));
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (dropped.has(lower) || listed?.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return out;
}
