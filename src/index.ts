// The package as a library: the core, the composition, and each plugin with its option types and
// what builds those options, so each can be registered into an app of one's own (README: "As a
// library"): an app registers `errorRenderer` once, then any plugin.
export * from './core/index.js';
export { errorRenderer, renderError, toGatewayError } from './fastify/errors.js';
export type { Authenticate } from './fastify/authorize.js';
export { declareRoutes, ANY_METHOD, type ApiRoute, type BodyReading, type HttpMethod, type RouteKitOptions, type Stability } from './fastify/routes.js';
// What describes the API, from the same tables: the route catalog every app needs first, the Taskcluster references, OpenAPI and its page.
export { routeCatalog } from './fastify/api-docs/catalog.js';
export { apiReferences, referenceRoutes } from './fastify/api-docs/references-routes.js';
export { taskclusterReferences, type ApiReference, type ApiEntry, type References } from './fastify/api-docs/taskcluster-references.js';
export { openApiDocument, openApiOf, type OpenApiOptions } from './fastify/api-docs/openapi.js';
export { docsPage, type DocsPageOptions } from './fastify/api-docs/docs-page.js';
export { capabilityPlugin, definePluginModule, type PluginModule, type GatewayServices, type CreatedPlugin } from './fastify/capability.js';
export { buildGateway, gatewayApp, type Gateway, type BuildOptions } from './server.js';
export { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.js';
export { createLogger, loggerOptions } from './log.js';
export { dockerflowRoutes, dockerflowTable, type DockerflowOptions, type HeartbeatCheck } from './routes/dockerflow.js';
export { createMetrics, metricsRoute, requestMetrics, type GatewayMetrics } from './routes/metrics.js';
export { pluginModules } from './plugins/registry.js';

// Each capability as an ordinary Fastify plugin, with its option types, for `app.register()`.
// Also importable one by one: `taskcluster-gateway/plugins/<name>`.
export { proxyPlugin, type ProxyPluginOptions } from './plugins/proxy/index.js';
export { bewitPlugin, type BewitPluginOptions } from './plugins/bewit/index.js';
export { credentialsPlugin, type CredentialsPluginOptions } from './plugins/credentials/index.js';
export { hostSecretsPlugin, IssuingThread, parseRanges, lifetimeMs, TrustedProxies, type AddressRange, type HostSecretsOptions, type IssuerSettings } from './plugins/host-secrets/index.js';
export { relengapiPlugin, parseServiceRoutes, TemporaryTokenManager, type RelengapiPluginOptions, type ServiceRoute, type TokenManagerOptions } from './plugins/relengapi/index.js';
export {
  secretsPlugin, openSecretStore, loadKeyRing, keyRingFrom, generateKey, generateKeyFile,
  type SecretsPluginOptions, type SecretStore, type KeyRing, type OpenOptions,
} from './plugins/secrets/index.js';
