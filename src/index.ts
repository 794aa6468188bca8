// The package as a library: the core, the composition, and each plugin with its option types.
export * from './core/index.js';
export { errorRenderer, renderError, toGatewayError } from './fastify/errors.js';
export { buildGateway, type Gateway, type BuildOptions } from './server.js';
export { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.js';
export { createLogger, loggerOptions } from './log.js';
export { dockerflowRoutes } from './routes/dockerflow.js';
export { pluginModules } from './plugins/registry.js';
export type { PluginModule, GatewayServices, CreatedPlugin } from './fastify/capability.js';

// Each capability as an ordinary Fastify plugin, with its option types, for `app.register()`.
// Also importable one by one: `taskcluster-gateway/plugins/<name>`.
export { proxyPlugin, type ProxyPluginOptions } from './plugins/proxy/index.js';
export { bewitPlugin, type BewitPluginOptions } from './plugins/bewit/index.js';
export { credentialsPlugin, type CredentialsPluginOptions } from './plugins/credentials/index.js';
export { hostSecretsPlugin, IssuingThread, type HostSecretsOptions } from './plugins/host-secrets/index.js';
export { relengapiPlugin, type RelengapiPluginOptions } from './plugins/relengapi/index.js';
export { secretsPlugin, type SecretsPluginOptions } from './plugins/secrets/index.js';
