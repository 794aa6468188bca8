/**
 * The configuration in force, on the admin listener (`GET /config`): what the gateway started
 * with, with what the reloads applied since, printed as --print-config prints a configuration
 * (JSON, sensitive values masked). --print-config prints what the files, the environment and
 * the flags say now, which a start or a reload would load: where the two differ, a reload is
 * due, or (for a setting that only a restart applies) a restart.
 */
import type { FastifyPluginAsync } from 'fastify';
import { printableConfig, type GatewayConfig } from '../config/load.js';
import { declareRoutes, type ApiRoute } from '../fastify/routes.js';

export interface ConfigurationRouteOptions {
  /** The configuration in force now (src/reconfigure.ts keeps it). */
  inForce(): GatewayConfig;
}

/** The admin listener's configuration table. */
export function configurationTable(inForce: ConfigurationRouteOptions['inForce']): ApiRoute[] {
  return [{
    method: 'GET',
    url: '/config',
    name: 'config',
    title: 'Configuration In Force',
    description: 'The configuration this gateway serves with: as it started, with what configuration reloads (SIGHUP) applied since; a setting a reload could not apply (it needs a restart) keeps the value in force. Printed as `--print-config` prints one, sensitive values masked. Served on the admin listener only.',
    // the admin listener is the boundary: it listens where only operators reach it, and secrets are masked
    scopes: null,
    answersHead: true,
    handler: async (_request, reply) => {
      reply.type('application/json; charset=utf-8');
      return printableConfig(inForce());
    },
  }];
}

export const configurationRoute: FastifyPluginAsync<ConfigurationRouteOptions> = async (app, options) => {
  await declareRoutes(app, configurationTable(options.inForce));
};
