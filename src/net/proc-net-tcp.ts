/**
 * Linux's socket tables, /proc/net/tcp and /proc/net/tcp6: who owns which TCP endpoint in this
 * network namespace. Pure functions over the files' text, so tests can feed fixtures.
 *
 * A row is `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`.
 * Addresses are hex of the kernel's 32-bit words printed in host byte order (little-endian on
 * every Linux the gateway runs on: x86-64, arm64): IPv4 is one word, IPv6 four; ports are plain
 * hex. Rows of sockets no process holds any more (time-wait and orphaned FIN-WAIT2 sockets)
 * show uid 0 and inode 0: their uid is not an owner and must never pass for root.
 */
import ipaddr from 'ipaddr.js';

export interface Endpoint {
  /** Canonical text form (ipaddr.js toString): dotted IPv4, RFC 5952 IPv6. */
  address: string;
  port: number;
}

export interface TcpSocketRow {
  local: Endpoint;
  remote: Endpoint;
  uid: number;
  /** Socket inode; 0 when no process holds the socket (its uid then means nothing). */
  inode: number;
}

/** One 32-bit word as printed by the kernel (8 hex digits, little-endian) → its 4 network-order bytes. */
function wordBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return bytes;
}

const HEX = /^[0-9A-Fa-f]+$/;

/** `0100007F` → `127.0.0.1`; 32 hex digits → an IPv6 address. */
export function parseHexAddress(hex: string): string {
  if (!HEX.test(hex) || (hex.length !== 8 && hex.length !== 32)) throw new Error(`not a /proc/net/tcp address: ${hex}`);
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  return ipaddr.fromByteArray(bytes).toString();
}

/** `0100007F:1F90` → {address: '127.0.0.1', port: 8080}. */
export function parseHexEndpoint(field: string): Endpoint {
  const colon = field.indexOf(':');
  const portHex = field.slice(colon + 1);
  if (colon < 0 || portHex.length !== 4 || !HEX.test(portHex)) throw new Error(`not a /proc/net/tcp endpoint: ${field}`);
  return { address: parseHexAddress(field.slice(0, colon)), port: parseInt(portHex, 16) };
}

/** One row, or undefined for the header line, blank lines and anything malformed. */
export function parseTcpRow(line: string): TcpSocketRow | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 10 || !/^\d+:$/.test(fields[0]!)) return undefined;
  const uid = Number(fields[7]);
  const inode = Number(fields[9]);
  if (!Number.isInteger(uid) || !Number.isInteger(inode)) return undefined;
  try {
    return { local: parseHexEndpoint(fields[1]!), remote: parseHexEndpoint(fields[2]!), uid, inode };
  } catch {
    return undefined;
  }
}

export function parseTcpTable(text: string): TcpSocketRow[] {
  const rows: TcpSocketRow[] = [];
  for (const line of text.split('\n')) {
    const row = parseTcpRow(line);
    if (row) rows.push(row);
  }
  return rows;
}

/** Canonical form of an address as Node reports it ('::ffff:127.0.0.1' → '127.0.0.1'). */
export function canonicalAddress(address: string): string {
  return ipaddr.process(address).toString();
}

export interface ConnectionEnds {
  /** Our end of the connection (socket.localAddress/localPort). */
  local: Endpoint;
  /** The peer's end (socket.remoteAddress/remotePort). */
  remote: Endpoint;
}

/**
 * Text of /proc/net/tcp or /proc/net/tcp6, undefined when it does not exist (IPv6 disabled).
 * Asked for on demand: an IPv4 peer found in tcp never costs a read of tcp6.
 */
export type SocketTableReader = (table: 'tcp' | 'tcp6') => string | undefined;

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.address === b.address;
}

function findRow(table: string | undefined, local: Endpoint, remote: Endpoint): TcpSocketRow | undefined {
  if (table === undefined) return undefined;
  return parseTcpTable(table).find((row) => sameEndpoint(row.local, local) && sameEndpoint(row.remote, remote));
}

function mapped(endpoint: Endpoint): Endpoint {
  return { address: ipaddr.IPv4.parse(endpoint.address).toIPv4MappedAddress().toString(), port: endpoint.port };
}

/**
 * The peer's socket row for a connection, seen from our end: the row whose local end is our
 * remote and whose remote end is our local. An IPv4 peer may hold an IPv6 socket (dual-stack
 * client), so it is also looked for in tcp6 in IPv4-mapped form.
 */
export function findPeerSocket(readTable: SocketTableReader, ends: ConnectionEnds): TcpSocketRow | undefined {
  const local = { address: canonicalAddress(ends.local.address), port: ends.local.port };
  const remote = { address: canonicalAddress(ends.remote.address), port: ends.remote.port };
  if (ipaddr.parse(remote.address).kind() === 'ipv6') return findRow(readTable('tcp6'), remote, local);
  return findRow(readTable('tcp'), remote, local) ?? findRow(readTable('tcp6'), mapped(remote), mapped(local));
}
