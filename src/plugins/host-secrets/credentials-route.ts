/**
 * `GET /v1/credentials`: who is asking (client address), may it ask (allow-list), which host is
 * it (forward-confirmed reverse DNS), then its credentials. Every refusal is the original's 403
 * IPNotAllowed, with a message saying which check failed and a log line with the address.
 */
import type { FastifyBaseLogger, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import { addressText, clientAddress, inRanges, type AddressRange } from './addresses.js';
import type { ForwardConfirmedDns } from './forward-confirmed-dns.js';
import { issueHostCredentials, type HostCredentialPolicy } from './host-credentials.js';

export interface CredentialsRouteOptions {
  allowedRanges: AddressRange[];
  trustedProxies: AddressRange[];
  dns: ForwardConfirmedDns;
  policy: HostCredentialPolicy;
  /** Where the line for every credential issued goes, whatever the route's own log level. */
  auditLog: Logger;
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

function refuse(log: FastifyBaseLogger, ip: string, reason: string): never {
  log.warn({ ip, reason }, 'host-secrets: credentials refused');
  throw new GatewayError('IPNotAllowed', `Remote IP not allowed: ${reason}`);
}

/** The client address as text, for the rate limiter's key: the same address the checks use. */
export function clientKey(request: FastifyRequest, trustedProxies: AddressRange[]): string {
  const client = clientAddress(request.raw.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies);
  return 'address' in client ? addressText(client.address) : (request.raw.socket.remoteAddress ?? 'unknown');
}

export function credentialsHandler(options: CredentialsRouteOptions): RouteHandlerMethod {
  return async (request) => {
    const peer = request.raw.socket.remoteAddress;
    const client = clientAddress(peer, request.headers['x-forwarded-for'], options.trustedProxies);
    if ('problem' in client) refuse(request.log, peer ?? 'unknown', client.problem);
    const ip = addressText(client.address);
    if (!inRanges(client.address, options.allowedRanges)) refuse(request.log, ip, `${ip} is not in the allowed addresses`);
    const verdict = await options.dns.verify(client.address);
    if ('refusal' in verdict) refuse(request.log, ip, verdict.refusal);
    const issued = issueHostCredentials(verdict.hostname, options.policy);
    // `host`, not `hostname`: pino's own `hostname` field is the gateway's machine.
    options.auditLog.info(
      { audit: 'host-credentials-issued', reqId: request.id, ip, host: verdict.hostname, clientId: issued.clientId, expires: issued.expires.toISOString() },
      'host-secrets: credentials issued',
    );
    return { credentials: { clientId: issued.clientId, accessToken: issued.accessToken, certificate: issued.certificate } };
  };
}
