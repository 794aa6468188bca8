/**
 * The relengapi Fastify plugin: the routes table (routes.ts) answered by the token-attaching
 * forwarder, or by a 403 when the gateway was started for a task that grants no RelengAPI
 * permission. It only composes.
 */
import type { RouteHandlerMethod } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes } from '../../fastify/routes.js';
import { createForwarder } from '../../net/forwarder/forwarder.js';
import { relengapiRoutes } from './routes.js';
import type { ServiceRoute } from './service-routes.js';
import { serviceProxyHandler, temporaryTokens, type ServiceProxyOptions } from './service-proxy.js';

// What a library user needs to build the options: the service prefixes and the token manager.
export { parseServiceRoutes, type ServiceRoute } from './service-routes.js';
export { TemporaryTokenManager, type TokenManagerOptions } from './token-manager.js';

export type RelengapiPluginOptions =
  | ({ refusal?: undefined } & ServiceProxyOptions)
  | { refusal: string; routes: ServiceRoute[] };

export const relengapiPlugin = capabilityPlugin<RelengapiPluginOptions>('relengapi', async (app, options) => {
  let handler: RouteHandlerMethod;
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
  await declareRoutes(app, relengapiRoutes(options.routes, handler));
});
