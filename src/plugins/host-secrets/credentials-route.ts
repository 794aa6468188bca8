/**
 * `GET /v1/credentials`: who is asking (client address), may it ask (allow-list), which host is
 * it (forward-confirmed reverse DNS), then its credentials, the last two on the issuing thread.
 * Every refusal is the original's 403 IPNotAllowed, with a message saying which check failed and
 * a log line with the address.
 */
import type { FastifyBaseLogger, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import type { GatewayEvents, HostCredentialsCheck } from '../../core/events.js';
import { addressText, inRanges, type AddressRange, type ClientAddress } from '../../net/addresses.js';
import type { TrustedProxies } from '../../net/trusted-proxies.js';
import type { IssueOutcome, IssuingThread } from './issuing-thread.js';

export interface CredentialsRouteOptions {
  allowedRanges: AddressRange[];
  /** Proves the host and signs its credentials, off the event loop serving HTTP. */
  issuing: IssuingThread;
  /** Where the line for every credential issued goes, whatever the route's own log level. */
  auditLog: Logger;
  /** Where each outcome is counted (the gateway's tally, read by /metrics). */
  events?: GatewayEvents;
}

export const credentialsResponseSchema = {
  200: {
    type: 'object',
    required: ['credentials'],
    properties: {
      credentials: {
        type: 'object',
        required: ['clientId', 'accessToken', 'certificate'],
        properties: { clientId: { type: 'string' }, accessToken: { type: 'string' }, certificate: { type: 'string' } },
      },
    },
  },
} as const;

function refuse(log: FastifyBaseLogger, ip: string, reason: string, check: HostCredentialsCheck, events: GatewayEvents | undefined): never {
  events?.count('host-credentials-refused', check);
  log.warn({ ip, reason }, 'host-secrets: credentials refused');
  throw new GatewayError('IPNotAllowed', `Remote IP not allowed: ${reason}`);
}

/** Who asks, worked out once per request for both the rate limiter's key and the checks. */
const clients = new WeakMap<FastifyRequest, ClientAddress & { ip: string }>();

function clientOf(request: FastifyRequest, trustedProxies: TrustedProxies): ClientAddress & { ip: string } {
  let client = clients.get(request);
  if (!client) {
    const peer = request.raw.socket.remoteAddress;
    const found = trustedProxies.clientAddress(peer, request.headers['x-forwarded-for']);
    client = { ...found, ip: 'address' in found ? addressText(found.address) : (peer ?? 'unknown') };
    clients.set(request, client);
  }
  return client;
}

/** The client address as text, for the rate limiter's key: the same address the checks use. */
export function clientKey(request: FastifyRequest, trustedProxies: TrustedProxies): string {
  return clientOf(request, trustedProxies).ip;
}

export function credentialsHandler(options: CredentialsRouteOptions, trustedProxies: TrustedProxies): RouteHandlerMethod {
  return async (request) => {
    const client = clientOf(request, trustedProxies);
    const { ip } = client;
    const { events } = options;
    if ('problem' in client) refuse(request.log, ip, client.problem, 'client_address', events);
    if (!inRanges(client.address, options.allowedRanges)) refuse(request.log, ip, `${ip} is not in the allowed addresses`, 'allowed_ips', events);
    let outcome: IssueOutcome;
    try {
      outcome = await options.issuing.issue(ip);
    } catch (err) {
      events?.count('host-credentials-failed');
      throw err;
    }
    if ('refusal' in outcome) refuse(request.log, ip, outcome.refusal, 'dns', events);
    events?.count('host-credentials-issued');
    const { hostname, issued } = outcome;
    // `host`, not `hostname`: pino's own `hostname` field is the gateway's machine.
    options.auditLog.info(
      { audit: 'host-credentials-issued', reqId: request.id, ip, host: hostname, clientId: issued.clientId, expires: issued.expires.toISOString() },
      'host-secrets: credentials issued',
    );
    return { credentials: { clientId: issued.clientId, accessToken: issued.accessToken, certificate: issued.certificate } };
  };
}
