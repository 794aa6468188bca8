// The package as a library: the core, the composition, and each plugin with its option types.
export * from './core/index.js';
export { errorRenderer, renderError, toGatewayError } from './fastify/errors.js';
export { buildGateway, type Gateway, type BuildOptions } from './server.js';
export { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.js';
export { ConfigError } from './config/settings.js';
export { createLogger, loggerOptions } from './log.js';
export { dockerflowRoutes } from './routes/dockerflow.js';
export { pluginModules } from './plugins/registry.js';
export type { PluginModule, GatewayServices, CreatedPlugin } from './plugins/module.js';
