/**
 * A loopback fake RelengAPI for tests: real HTTP on 127.0.0.1, port 0, behaving like the token
 * API the relengapi plugin talks to.
 * - `POST /tokens` (tokenUrl) issues a temporary token when `Authorization: Bearer <permanent>`
 *   is right (401 otherwise), the body is `{typ: 'tmp', expires, permissions, metadata}` (400
 *   otherwise) and every permission is grantable (403 otherwise); errors use RelengAPI's shape
 *   `{error: {code, name, description}}`; the answer is `{result: {typ, token, expires, permissions}}`.
 *   A token expires at the time asked, or sooner when `maxLifetimeMs` says so.
 * - Every other path is a service: an unknown, expired or revoked token gets 401; a valid one
 *   gets the echo of what arrived (see ServiceEcho). `?delayMs=<n>` delays the answer.
 *
 *   const relengapi = await startFakeRelengapi({ permanentToken: 'perm', grantable: ['tooltool.download.public'] });
 *   ... relengapi.tokenUrl, relengapi.url ...; await relengapi.close();
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FakeRelengapiOptions {
  permanentToken: string;
  /** Permissions the permanent token may put in a temporary token. */
  grantable: string[];
  /** Tokens expire at most this long after issue, whatever was asked. */
  maxLifetimeMs?: number;
  /** Hold each token request this long before answering (to overlap concurrent renewals). */
  issueDelayMs?: number;
}

export interface IssuedToken {
  token: string;
  permissions: string[];
  /** ms since epoch. */
  expires: number;
  /** The `expires` the client asked for, as sent. */
  requestedExpires: string;
}

/** What a service route received. */
export interface ServiceEcho {
  method: string;
  /** Raw path, escapes kept. */
  path: string;
  /** Raw query without `?`, '' when none. */
  query: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Permissions of the token the request carried. */
  permissions: string[];
}

export interface TokenRequest {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface FakeRelengapi {
  url: string;
  tokenUrl: string;
  issued: IssuedToken[];
  tokenRequests: TokenRequest[];
  /** Service requests answered 200. */
  served: ServiceEcho[];
  /** Service requests refused with 401, with the token they carried. */
  rejected: Array<{ path: string; token: string }>;
  /** Paths of service requests whose client went away before the answer. */
  cancelled: string[];
  /** Make every token issued so far invalid (as if RelengAPI lost or revoked them). */
  revokeAll(): void;
  close(): Promise<void>;
}

const TOKEN_PATH = '/tokens';

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function sendRelengapiError(res: ServerResponse, status: number, name: string, description: string): void {
  sendJson(res, status, { error: { code: status, name, description } });
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function bearer(headers: IncomingHttpHeaders): string {
  const match = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  return match ? match[1]! : '';
}

export async function startFakeRelengapi(options: FakeRelengapiOptions): Promise<FakeRelengapi> {
  const issued: IssuedToken[] = [];
  const valid = new Map<string, IssuedToken>();
  const tokenRequests: TokenRequest[] = [];
  const served: ServiceEcho[] = [];
  const rejected: FakeRelengapi['rejected'] = [];
  const cancelled: string[] = [];

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readText(req);
    const answer = (status: number, name: string, description: string) => {
      tokenRequests.push({ headers: req.headers, body, status });
      sendRelengapiError(res, status, name, description);
    };
    if (options.issueDelayMs) await sleep(options.issueDelayMs);
    if (bearer(req.headers) !== options.permanentToken) return answer(401, 'Unauthorized', 'The issuing token is not valid');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return answer(415, 'Unsupported Media Type', 'Send JSON');
    let request: { typ?: unknown; expires?: unknown; permissions?: unknown; metadata?: unknown };
    try {
      request = JSON.parse(body);
    } catch {
      return answer(400, 'Bad Request', 'Body is not JSON');
    }
    const expires = typeof request.expires === 'string' ? Date.parse(request.expires) : NaN;
    const permissions = request.permissions;
    if (request.typ !== 'tmp' || Number.isNaN(expires) || expires <= Date.now() || !request.metadata || typeof request.metadata !== 'object') {
      return answer(400, 'Bad Request', 'A tmp token needs typ "tmp", a future expires and metadata');
    }
    if (!Array.isArray(permissions) || permissions.length === 0 || !permissions.every((p) => typeof p === 'string')) {
      return answer(400, 'Bad Request', 'permissions must be a non-empty list of names');
    }
    const refused = permissions.filter((p) => !options.grantable.includes(p));
    if (refused.length > 0) return answer(403, 'Forbidden', `The issuing token cannot grant ${refused.join(', ')}`);

    const token: IssuedToken = {
      token: randomBytes(24).toString('base64url'),
      permissions,
      expires: Math.min(expires, options.maxLifetimeMs !== undefined ? Date.now() + options.maxLifetimeMs : Infinity),
      requestedExpires: request.expires as string,
    };
    issued.push(token);
    valid.set(token.token, token);
    tokenRequests.push({ headers: req.headers, body, status: 200 });
    sendJson(res, 200, { result: { typ: 'tmp', token: token.token, expires: new Date(token.expires).toISOString(), permissions, metadata: {} } });
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const body = await readText(req);
    const token = valid.get(bearer(req.headers));
    if (!token || token.expires <= Date.now()) {
      rejected.push({ path, token: bearer(req.headers) });
      return sendRelengapiError(res, 401, 'Unauthorized', 'Token is missing, expired or revoked');
    }
    const delayMs = Number(new URLSearchParams(query).get('delayMs') ?? 0);
    if (delayMs > 0) {
      res.once('close', () => {
        if (!res.writableFinished) cancelled.push(path);
      });
      await sleep(delayMs);
      if (res.destroyed) return;
    }
    const echo: ServiceEcho = { method: req.method!, path, query, headers: req.headers, body, permissions: token.permissions };
    served.push(echo);
    sendJson(res, 200, echo);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt >= 0 ? raw.slice(0, queryAt) : raw;
    const query = queryAt >= 0 ? raw.slice(queryAt + 1) : '';
    const handled = path === TOKEN_PATH && req.method === 'POST' ? issueToken(req, res) : serve(req, res, path, query);
    handled.catch((err: Error) => {
      if (!res.headersSent) sendRelengapiError(res, 500, 'Internal Server Error', err.message);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    issued,
    tokenRequests,
    served,
    rejected,
    cancelled,
    revokeAll: () => valid.clear(),
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
