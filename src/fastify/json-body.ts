/**
 * The JSON body parser of every gateway context: the raw text kept (a Hawk payload hash covers
 * the exact bytes), the value from the one bounded parse (core/json-body.ts), so nothing later
 * walks an unbounded tree. A gateway listener registers it at its root; the authorization kit
 * registers it again with `deferErrors`, because there a refused body must not be told to a
 * caller before authentication and scopes are (the error waits in `request.bodyError`).
 */
import fp from 'fastify-plugin';
import type { GatewayError } from '../core/errors.js';
import { parseJsonBody } from '../core/json-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body exactly as received, for payload hashes. */
    payloadText: string | undefined;
    /** Why the JSON body was refused, when its error was deferred; the body is then undefined. */
    bodyError: GatewayError | undefined;
  }
}

export interface JsonBodyOptions {
  /** Largest JSON body accepted, in bytes (default: the server's bodyLimit). */
  bodyLimit?: number;
  /** Keep a refused body's error in `request.bodyError` instead of answering it at once. */
  deferErrors?: boolean;
}

export const jsonBody = fp<JsonBodyOptions>(
  async (app, options) => {
    // a context under a gateway listener inherits the decorators from the listener's root
    if (!app.hasRequestDecorator('payloadText')) app.decorateRequest('payloadText', undefined);
    if (!app.hasRequestDecorator('bodyError')) app.decorateRequest('bodyError', undefined);
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.bodyLimit }, (request, text, done) => {
      request.payloadText = text as string;
      if (text === '') return done(null, undefined);
      try {
        done(null, parseJsonBody(text as string));
      } catch (err) {
        if (!options.deferErrors) return done(err as GatewayError, undefined);
        request.bodyError = err as GatewayError;
        done(null, undefined);
      }
    });
  },
  { name: 'taskcluster-gateway-json-body', fastify: '5.x' },
);
