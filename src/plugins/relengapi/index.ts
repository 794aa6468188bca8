/**
 * The relengapi Fastify plugin: one route per service prefix, answered by the token-attaching
 * proxy, or by a 403 when the gateway was started for a task that grants no RelengAPI permission.
 */
import type { FastifyPluginAsync } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { errorRenderer } from '../../fastify/errors.js';
import { createForwarder } from '../../net/forwarder/forwarder.js';
import type { ServiceRoute } from './service-routes.js';
import { serviceProxyHandler, temporaryTokens, type ServiceProxyOptions } from './service-proxy.js';

export type RelengapiPluginOptions =
  | ({ refusal?: undefined } & ServiceProxyOptions)
  | { refusal: string; routes: ServiceRoute[] };

export const relengapiPlugin: FastifyPluginAsync<RelengapiPluginOptions> = async (app, options) => {
  await app.register(errorRenderer);
  // bodies are forwarded as they arrive: leave them unread here
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  let handler;
  if (options.refusal === undefined) {
    const { forwarder, close } = createForwarder(options, temporaryTokens(options.tokens));
    app.addHook('onClose', close);
    handler = serviceProxyHandler(options.routes, forwarder);
  } else {
    const { refusal } = options;
    handler = async () => {
      throw new GatewayError('ForbiddenRequest', refusal);
    };
  }
  for (const { prefix } of options.routes) {
    app.all(prefix, handler);
    app.all(`${prefix}/*`, handler);
  }
};
