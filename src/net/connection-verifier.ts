/**
 * taskcluster-proxy's `--allowed-user` / `--allowed-network` (Linux): serve a TCP connection
 * only when the peer socket belongs to the allowed OS user or root, found in this network
 * namespace's socket tables by the connection's address pair. A peer whose socket is not in
 * the tables (container bridge traffic) is admitted by its IP when inside `allowedNetwork`;
 * a peer that is found keeps its verdict by uid even inside that network (corrections.md).
 *
 * The tables are read synchronously in the server's 'connection' event, ahead of the HTTP
 * parser, so a refused socket is destroyed before a byte of it is read.
 */
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import { ConfigError } from '../config/settings.js';
import { resolveUid } from './os-users.js';
import { canonicalAddress, findPeerSocket } from './proc-net-tcp.js';

export interface ConnectionVerifierOptions {
  /** OS user name or numeric uid whose sockets are served (root's always are). */
  allowedUser: string;
  /** CIDR admitting peers whose socket is not visible here; a 0-length prefix is refused. */
  allowedNetwork?: string | undefined;
  /** Reads a socket table or the passwd file, undefined when it does not exist; tests feed fixtures here. */
  readFile?: (path: string) => string | undefined;
  tablePaths?: { tcp: string; tcp6: string };
  /** Where user names are looked up (default /etc/passwd). */
  passwdPath?: string;
}

export interface Verdict {
  accept: boolean;
  /** Why, for the log. */
  reason: string;
  /** The peer socket's uid when it was found. */
  peerUid?: number;
}

/** The two ends of a connection as a net.Socket reports them (undefined once it is closed). */
export type SocketAddresses = Pick<Socket, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>;

const PROC_TABLES = { tcp: '/proc/net/tcp', tcp6: '/proc/net/tcp6' };

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseAllowedNetwork(cidr: string): Cidr {
  let parsed: Cidr;
  try {
    parsed = ipaddr.parseCIDR(cidr);
  } catch {
    throw new ConfigError(`setting allowedNetwork (--allowed-network / GATEWAY_ALLOWED_NETWORK): ${JSON.stringify(cidr)} is not a CIDR (e.g. 172.17.0.0/16)`);
  }
  if (parsed[1] === 0) throw new ConfigError(`setting allowedNetwork (--allowed-network / GATEWAY_ALLOWED_NETWORK): ${JSON.stringify(cidr)} has a 0-length prefix, which would admit every address; name the container network`);
  return parsed;
}

function inNetwork(address: string, [range, bits]: Cidr): boolean {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === range.kind()) return parsed.match(range, bits);
  // An IPv4 peer against an IPv6 range: compare in IPv4-mapped form.
  return parsed instanceof ipaddr.IPv4 && parsed.toIPv4MappedAddress().match(range, bits);
}

export class ConnectionVerifier {
  readonly allowedUid: number;
  readonly allowedNetwork: string | undefined;
  private readonly network: Cidr | undefined;
  private readonly readFile: (path: string) => string | undefined;
  private readonly tablePaths: { tcp: string; tcp6: string };

  constructor(options: ConnectionVerifierOptions) {
        this.allowedNetwork = options.allowedNetwork || undefined;
    this.network = this.allowedNetwork ? parseAllowedNetwork(this.allowedNetwork) : undefined;
    this.readFile = options.readFile ?? readIfExists;
    this.allowedUid = resolveUid(options.allowedUser, options.passwdPath ?? '/etc/passwd', this.readFile);
    this.tablePaths = options.tablePaths ?? PROC_TABLES;
    if (this.readFile(this.tablePaths.tcp) === undefined) {
      throw new ConfigError(`setting allowedUser (--allowed-user / GATEWAY_ALLOWED_USER) needs Linux's socket table ${this.tablePaths.tcp}, which does not exist here`);
    }
  }

  /** Whether to serve a connection, decided from this namespace's socket tables as they are now. */
  verify(socket: SocketAddresses): Verdict {
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    if (!localAddress || !remoteAddress || localPort === undefined || remotePort === undefined) {
      return { accept: false, reason: 'connection closed before it could be verified' };
    }
    const peer = findPeerSocket((table) => this.readFile(this.tablePaths[table]), {
      local: { address: localAddress, port: localPort },
      remote: { address: remoteAddress, port: remotePort },
    });
    if (peer) {
      if (peer.inode === 0) return { accept: false, reason: 'peer socket is held by no process (closed or orphaned)' };
      if (peer.uid === this.allowedUid) return { accept: true, reason: 'peer socket owned by the allowed user', peerUid: peer.uid };
      if (peer.uid === 0) return { accept: true, reason: 'peer socket owned by root', peerUid: 0 };
      return { accept: false, reason: `peer socket owned by uid ${peer.uid}, not the allowed uid ${this.allowedUid}`, peerUid: peer.uid };
    }
    if (this.network && inNetwork(canonicalAddress(remoteAddress), this.network)) {
      return { accept: true, reason: `peer socket not visible here and its address is in ${this.allowedNetwork}` };
    }
    return {
      accept: false,
      reason: this.network ? `peer socket not found and its address is outside ${this.allowedNetwork}` : 'peer socket not found in this network namespace',
    };
  }

  /**
   * Checks every connection of `server` before anything else sees it (the HTTP parser's own
   * 'connection' listener runs after this one) and destroys the refused ones, logging why.
   */
  attach(server: Server, log: Logger): void {
    server.prependListener('connection', (socket: Socket) => {
      const verdict = this.verify(socket);
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      if (verdict.accept) {
        log.debug({ peer, peerUid: verdict.peerUid }, `connection accepted: ${verdict.reason}`);
        return;
      }
      log.warn({ peer, peerUid: verdict.peerUid, reason: verdict.reason }, `connection from ${peer} refused: ${verdict.reason}`);
      socket.destroy();
    });
  }
}

/**
 * The verifier for the proxy's settings, or undefined when `allowedUser` is not set (every
 * connection served). `allowedNetwork` alone is refused, as the original refuses it.
 */
export function connectionVerifierFor(
  settings: { allowedUser?: string | undefined; allowedNetwork?: string | undefined },
  options: Omit<ConnectionVerifierOptions, 'allowedUser' | 'allowedNetwork'> = {},
): ConnectionVerifier | undefined {
  if (!settings.allowedUser) {
    if (settings.allowedNetwork) throw new ConfigError('setting allowedNetwork (--allowed-network / GATEWAY_ALLOWED_NETWORK) requires allowedUser (--allowed-user / GATEWAY_ALLOWED_USER): the peers found in this namespace are checked by user');
    return undefined;
  }
  return new ConnectionVerifier({ ...options, allowedUser: settings.allowedUser, allowedNetwork: settings.allowedNetwork });
}
