/**
 * Remote auth: hand the request's Hawk material to a Taskcluster deployment's
 * `auth.authenticateHawk`, as Taskcluster services do (lib-api's remote signature validator).
 * Like them, the call itself is unsigned: the endpoint is public, and the gateway's own
 * credentials expiring must not lock every caller out. Whatever goes wrong with the call
 * (unreachable, slow, an unexpected answer) is 503 ServiceUnavailable: never "allow".
 */
import hawk from 'hawk';
import { constantTimeEqual } from './constant-time.js';
import { GatewayError } from './errors.js';
import { refuseUnlessAdmitted, type AuthenticatedCaller, type NonceStore } from './hawk.js';
import { hawkMaterial, type HawkMaterial, type IncomingRequest } from './hawk-material.js';
import { quotableUrl } from './url-credentials.js';
import { waitFor, type WaitOptions } from './wait.js';

export interface RemoteAuthOptions {
  rootUrl: string;
  /** How long one authenticateHawk call may take. */
  timeoutMs: number;
  /** Our addition to what the auth service checks: refuse a replayed Hawk header. */
  nonceCache?: NonceStore;
}

interface AuthenticateHawkAnswer {
  status?: unknown;
  message?: unknown;
  clientId?: unknown;
  scopes?: unknown;
  scheme?: unknown;
  expires?: unknown;
  hash?: unknown;
}

const unavailable = (why: string, cause?: unknown) => new GatewayError('ServiceUnavailable', `Taskcluster auth service unavailable: ${why}`, undefined, { cause });

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}

function checkPayloadHash(hash: string, request: IncomingRequest): void {
  const computed = hawk.crypto.calculatePayloadHash(request.payload ?? '', 'sha256', request.contentType ?? '');
  if (!constantTimeEqual(hash, computed)) throw new GatewayError('AuthenticationFailed', 'Invalid payload hash');
}

async function checkNonce(material: HawkMaterial, nonceCache: NonceStore | undefined): Promise<void> {
  if (!nonceCache || material.scheme !== 'hawk') return;
  const { id, nonce, ts } = material.attributes;
  refuseUnlessAdmitted(await nonceCache.admit(id, nonce, ts), 'Stale timestamp or replayed nonce');
}

async function callAuthenticateHawk(url: string, request: IncomingRequest, material: HawkMaterial, timeoutMs: number): Promise<AuthenticateHawkAnswer> {
  const body = {
    method: request.method.toLowerCase(),
    resource: request.resource,
    host: request.host,
    port: request.port,
    ...(material.scheme === 'hawk' ? { authorization: material.header } : {}),
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw unavailable((err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'cannot connect', err);
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch (err) {
    throw unavailable(`answer to authenticateHawk is not JSON (status ${response.status})`, err);
  }
  if (response.status !== 200 || !answer || typeof answer !== 'object') throw unavailable(`authenticateHawk answered ${response.status}`);
  return answer as AuthenticateHawkAnswer;
}

export function remoteAuthenticator(options: RemoteAuthOptions): (request: IncomingRequest) => Promise<AuthenticatedCaller> {
  const url = `${options.rootUrl.replace(/\/+$/, '')}/api/auth/v1/authenticate-hawk`;
  return async (request) => {
    // refused here what has no single meaning: the service must judge the material we act on
    const material = hawkMaterial(request);
    const answer = await callAuthenticateHawk(url, request, material, options.timeoutMs);
    if (answer.status === 'auth-failed') throw new GatewayError('AuthenticationFailed', typeof answer.message === 'string' ? answer.message : 'Authentication failed');
    if (!isStringList(answer.scopes)) throw unavailable('authenticateHawk answered without scopes');
    if (answer.status === 'no-auth') return { clientId: 'anonymous', scopes: answer.scopes, scheme: 'none' };
    if (answer.status !== 'auth-success' || typeof answer.clientId !== 'string') throw unavailable('authenticateHawk answered with an unknown status');
    if (material.scheme === 'none') throw unavailable('authenticateHawk authenticated a request that carries no credentials');
    if (typeof answer.hash === 'string' && answer.scheme === 'hawk') checkPayloadHash(answer.hash, request);
    await checkNonce(material, options.nonceCache);
    const expires = typeof answer.expires === 'string' ? new Date(answer.expires) : undefined;
    return { clientId: answer.clientId, scopes: answer.scopes, scheme: material.scheme, ...(expires ? { expires } : {}) };
  };
}

/**
 * At start: wait (./wait.ts) until the auth service answers its ping, so a gateway that cannot
 * reach it says so and stops, rather than answering 503 to every caller.
 */
export async function reachAuthService(rootUrl: string, wait: Pick<WaitOptions, 'boundMs' | 'log'>): Promise<void> {
  const url = `${rootUrl.replace(/\/+$/, '')}/api/auth/v1/ping`;
  await waitFor(async (signal) => {
    const response = await fetch(url, { signal });
    await response.body?.cancel();
    // any answer but a server error means the service is there
    if (response.status >= 500) throw new Error(`${quotableUrl(url)} answered ${response.status}`);
  }, { ...wait, what: `the Taskcluster auth service at ${quotableUrl(rootUrl)}` });
}
