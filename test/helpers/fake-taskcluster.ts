/**
 * A loopback fake of a Taskcluster deployment for tests: real HTTP on 127.0.0.1 (or `host`), port 0.
 *
 * Every request is authenticated as the auth service would (./signature-validator.ts: the hawk
 * library's server functions and the auth service's certificate and authorizedScopes rules, not
 * the gateway's own core: Hawk header or bewit, the payload hash, the anonymous role);
 * a failure answers 401 AuthenticationFailed in Taskcluster's error shape. Then:
 * - a route set with `route()` answers as told (require a scope → 403 InsufficientScopes when
 *   the caller lacks it; a chosen status, headers, body or redirect; hang without answering;
 *   close the connection without answering);
 * - `GET /api/queue/v1/task/<taskId>` serves `tasks` (public: no scope needed), 404 otherwise;
 * - anything else echoes what arrived as JSON (see `Echo`).
 * Each request is also recorded in `requests` (body kept up to 1 MiB; its length and sha256 always).
 *
 *   const tc = await startFakeTaskcluster({ clients: [{ clientId: 'c', accessToken: 't', scopes: ['queue:*'] }] });
 *   tc.route({ path: '/api/queue/v1/ping', status: 503, times: 2 }); // fail twice, then echo
 *   ... tc.rootUrl ...; await tc.close();
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { errorBody, GatewayError, RoleSet, satisfiesExpression, type AuthenticatedCaller, type ClientRecord, type Role, type ScopeExpression } from '../../src/core/index.js';
import { signatureValidator } from './signature-validator.js';

export interface FakeTaskclusterOptions {
  /** Permanent clients (scopes may hold `assume:` roles; they are expanded). */
  clients?: ClientRecord[];
  roles?: Role[];
  /** Task definitions served by `GET /api/queue/v1/task/<taskId>`. */
  tasks?: Record<string, unknown>;
  /** Port the Hawk MAC is checked with when the Host header names none (default 80; 443 for https callers). */
  defaultPort?: number;
  /** Address to listen on (default 127.0.0.1), e.g. a Docker network's gateway for containers. */
  host?: string;
}

/** What the fake answers for a matching request, in place of the echo. */
export interface RouteBehaviour {
  /** Exact raw path (without query), or a pattern tested against it. */
  path: string | RegExp;
  /** Default: any method. */
  method?: string;
  /** Scope expression the caller must satisfy (403 InsufficientScopes otherwise). */
  scope?: ScopeExpression;
  /** Answer with this status (default 200) ... */
  status?: number;
  headers?: Record<string, string>;
  /** ... and this body (objects as JSON; a function makes a fresh stream per request); default: the echo. */
  body?: string | Buffer | object | (() => Readable);
  /** Shorthand: answer 303 with Location set to this URL. */
  redirect?: string;
  /** Never answer (the connection stays open until the client gives up). */
  hang?: boolean;
  /** Close the connection once the request has arrived, without answering (a connection error for the caller). */
  drop?: boolean;
  /** Apply to the next `times` matching requests only, then fall back to later routes. */
  times?: number;
}

/** The echo: what the fake received and who it authenticated. */
export interface Echo {
  method: string;
  /** Path exactly as received (escapes such as %2F kept). */
  path: string;
  /** Raw query string without `?`, '' when none. */
  query: string;
  headers: IncomingHttpHeaders;
  /** Body as UTF-8 text (first 1 MiB). */
  body: string;
  bodyLength: number;
  bodySha256: string;
  clientId: string;
  scopes: string[];
  scheme: AuthenticatedCaller['scheme'];
}

export interface ReceivedRequest extends Echo {
  /** Settles when the response finished or the client went away; true when the client went away first. */
  closed: Promise<boolean>;
}

export interface FakeTaskcluster {
  /** Root URL of the fake deployment (http://127.0.0.1:<port>, or the `host` given). */
  rootUrl: string;
  /** Same address, for non-Taskcluster paths. */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  tasks: Map<string, unknown>;
  /** Add a behaviour; earlier routes win. Returns a function removing it. */
  route(behaviour: RouteBehaviour): () => void;
  /** Resolves with the next request recorded (or the first one matching `path`). */
  nextRequest(path?: string | RegExp): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

const RECORDED_BODY_LIMIT = 1024 * 1024;
const TASK_PATH = /^\/api\/queue\/v1\/task\/([A-Za-z0-9_-]{22})$/;

interface ActiveRoute extends RouteBehaviour {
  remaining: number;
}

function matches(route: ActiveRoute, method: string, path: string): boolean {
  if (route.remaining <= 0) return false;
  if (route.method && route.method.toUpperCase() !== method) return false;
  return typeof route.path === 'string' ? route.path === path : route.path.test(path);
}

async function readBody(req: IncomingMessage): Promise<{ text: string; length: number; sha256: string }> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (length < RECORDED_BODY_LIMIT) kept.push(chunk.subarray(0, RECORDED_BODY_LIMIT - length));
    length += chunk.length;
  }
  return { text: Buffer.concat(kept).toString('utf8'), length, sha256: hash.digest('hex') };
}

function sendError(res: ServerResponse, err: GatewayError, method: string): void {
  res.writeHead(err.statusCode, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(errorBody(err, { method })));
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(value));
}

export async function startFakeTaskcluster(options: FakeTaskclusterOptions = {}): Promise<FakeTaskcluster> {
  const roleSet = new RoleSet(options.roles ?? []);
  const clients = new Map((options.clients ?? []).map((c) => [c.clientId, { ...c, scopes: roleSet.expand(c.scopes) }]));
  const validate = signatureValidator({ client: (id: string) => clients.get(id), expand: (scopes: string[]) => roleSet.expand(scopes) });
  const tasks = new Map(Object.entries(options.tasks ?? {}));
  const routes: ActiveRoute[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ path: string | RegExp | undefined; resolve: (r: ReceivedRequest) => void }> = [];
  const sockets = new Set<Socket>();

  const record = (received: ReceivedRequest) => {
    requests.push(received);
    for (const waiter of [...waiters]) {
      const p = waiter.path;
      if (p === undefined || (typeof p === 'string' ? p === received.path : p.test(received.path))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(received);
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const closed = new Promise<boolean>((resolve) => {
      res.once('close', () => resolve(!res.writableFinished));
    });
    const body = await readBody(req);
    const [host, port] = (req.headers.host ?? '').split(':');
    const result = await validate({ method, resource: rawUrl, host: host ?? '', port: Number(port || (options.defaultPort ?? 80)), authorization: req.headers.authorization, payload: body.text, contentType: req.headers['content-type'] });
    if (result.status === 'auth-failed') {
      record({ method, path, query: q < 0 ? '' : rawUrl.slice(q + 1), headers: req.headers, body: body.text, bodyLength: body.length, bodySha256: body.sha256, clientId: '', scopes: [], scheme: 'none', closed });
      return sendError(res, new GatewayError('AuthenticationFailed', result.message), method);
    }
    const caller: Pick<AuthenticatedCaller, 'clientId' | 'scopes' | 'scheme'> = result.status === 'no-auth' ? { clientId: 'anonymous', scopes: result.scopes, scheme: 'none' } : result;
    const echo: Echo = {
      method, path, query: q < 0 ? '' : rawUrl.slice(q + 1), headers: req.headers,
      body: body.text, bodyLength: body.length, bodySha256: body.sha256,
      clientId: caller.clientId, scopes: caller.scopes, scheme: caller.scheme,
    };
    record({ ...echo, closed });

    const route = routes.find((r) => matches(r, method, path));
    if (route) {
      route.remaining -= 1;
      if (route.scope !== undefined && !satisfiesExpression(caller.scopes, route.scope)) {
        return sendError(res, new GatewayError('InsufficientScopes', `Client ${caller.clientId} lacks the scopes required: ${JSON.stringify(route.scope)}`, { requiredScopes: route.scope }), method);
      }
      if (route.hang) return;
      if (route.drop) return void req.socket.destroy();
      if (route.redirect) return sendJson(res, route.status ?? 303, {}, { location: route.redirect, ...route.headers });
      const status = route.status ?? 200;
      if (typeof route.body === 'function') {
        res.writeHead(status, route.headers);
        route.body().pipe(res);
        return;
      }
      if (typeof route.body === 'string' || Buffer.isBuffer(route.body)) {
        res.writeHead(status, route.headers);
        return void res.end(route.body);
      }
      return sendJson(res, status, route.body ?? echo, route.headers);
    }
    const task = method === 'GET' ? TASK_PATH.exec(path) : null;
    if (task) {
      const definition = tasks.get(task[1]!);
      if (definition === undefined) return sendError(res, new GatewayError('ResourceNotFound', `Task ${task[1]} not found`), method);
      return sendJson(res, 200, definition);
    }
    return sendJson(res, 200, echo);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendError(res, new GatewayError('InternalServerError', String(err)), req.method ?? 'GET');
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    rootUrl: url,
    url,
    port,
    requests,
    tasks,
    route(behaviour) {
      const active: ActiveRoute = { ...behaviour, remaining: behaviour.times ?? Infinity };
      routes.push(active);
      return () => {
        const i = routes.indexOf(active);
        if (i >= 0) routes.splice(i, 1);
      };
    },
    nextRequest(path) {
      return new Promise((resolve) => waiters.push({ path, resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
