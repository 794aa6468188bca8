/**
 * One structured audit record per audited request, written when the answer has gone out, so
 * refusals (401, 403, 404) are logged as well as successes: who (clientId), what (action and
 * entity name), and the outcome. Never a value: handlers only name outcomes. In a gateway app
 * the record rides on the request's one log line (src/fastify/request-log.ts); in any other app
 * it is a line of its own.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayEvents } from '../core/events.js';

/** What one audit log line names: the action, and the entity acted on. */
export interface AuditSubject {
  action: string;
  /** The entity's name as it may appear in logs (a bootstrap token only hashed). */
  entity?(request: FastifyRequest): string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    audit?: AuditSubject;
  }
  interface FastifyRequest {
    /** Set by a handler when the status alone does not say what happened (created/updated...). */
    auditOutcome: string | undefined;
    /** Set by a handler naming an entity the request does not (a new bootstrap token's hash). */
    auditName: string | undefined;
  }
}

const OUTCOME_BY_STATUS: Record<number, string> = {
  400: 'invalid-request',
  401: 'authentication-failed',
  403: 'insufficient-scopes',
  404: 'not-found',
  413: 'too-large',
};

function outcome(request: FastifyRequest, statusCode: number): string {
  if (statusCode < 300) return request.auditOutcome ?? 'ok';
  return OUTCOME_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'error' : `status-${statusCode}`);
}

/** Also counts each record's action and outcome in `events`, when given. */
export function registerAuditLog(app: FastifyInstance, events?: GatewayEvents): void {
  app.decorateRequest('auditOutcome', undefined);
  app.decorateRequest('auditName', undefined);
  const onRequestLine = app.hasRequestDecorator('logFields');
  app.addHook('onResponse', async (request, reply) => {
    const audit = request.routeOptions.config.audit;
    if (!audit) return;
    const record = {
      action: audit.action,
      name: request.auditName ?? audit.entity?.(request) ?? null,
      clientId: request.caller?.clientId ?? null,
      outcome: outcome(request, reply.statusCode),
      statusCode: reply.statusCode,
    };
    events?.count('secret-operation', record.action, record.outcome);
    if (onRequestLine) request.logFields = { ...request.logFields, audit: record };
    else request.log.info({ audit: record }, `secrets audit: ${audit.action}`);
  });
}
