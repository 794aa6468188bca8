/**
 * Composition: builds one Fastify app per listener from configuration, each serving the
 * plugins it names plus the Dockerflow routes, and an optional admin listener for /metrics.
 * Plugin modules are created once and shared by every listener that names them; the pieces
 * two plugins share (the credential holder) are made here and handed to both.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { CredentialHolder } from './core/holder.js';
import { quotableMessage } from './core/url-credentials.js';
import { listenWithLoopbackTwin } from './fastify/loopback-twin.js';
import { boundRequestTime, requestTimeoutFor } from './fastify/request-timeout.js';
import { NonceCache, type NonceStore } from './core/hawk.js';
import { GatewayEvents } from './core/events.js';
import { countingReplays } from './core/replays.js';
import { ConfigError, configuredOrigin, PUBLIC_URL_SETTING, requireCredentials } from './config/settings.js';
import type { LoadedConfig } from './config/load.js';
import type { CoreSettings, ListenerSpec } from './config/schema.js';
import { routeCatalog } from './fastify/api-docs/catalog.js';
import { taskclusterServices } from './fastify/api-docs/taskcluster-references.js';
import { refuseWhileClosing } from './fastify/closing.js';
import { answerClientError, answerConnect, errorRenderer, renderError } from './fastify/errors.js';
import { jsonBody } from './fastify/json-body.js';
import { loadShedding, type LoadSheddingSettings } from './fastify/load-shedding.js';
import { OneLinePerRequest, requestLogFields } from './fastify/request-log.js';
import type { CreatedPlugin, GatewayServices, PluginModule } from './fastify/capability.js';
import { SharedNonceCache } from './net/shared-nonce-cache.js';
import type { SharedState } from './net/shared-state.js';
import { TrustedProxies } from './net/trusted-proxies.js';
import { sharedRateLimitStore } from './fastify/shared-rate-limit.js';
import { dockerflowRoutes, versionInfo, type HeartbeatCheck } from './routes/dockerflow.js';
import { checkCoreSettings, configuredCredentials, moduleSettings } from './configuration-checks.js';
import { configurationReloader, type Reload, type Reloader } from './reconfigure.js';
import type { GatewayMetrics } from './routes/metrics.js';

export interface GatewayListener {
  spec: ListenerSpec;
  app: FastifyInstance;
}

export interface Gateway {
  listeners: GatewayListener[];
  admin: FastifyInstance | undefined;
  /** Every listener's requests and the gateway's events, counted; undefined when not instrumented (BuildOptions.instrumentation). */
  metrics: GatewayMetrics | undefined;
  services: GatewayServices;
  /** Re-read the files the plugins follow (the secrets keys file), without reloading the configuration; undefined when none do. */
  reload: (() => Promise<void>) | undefined;
  /**
   * Reload the configuration (SIGHUP): `load` loads it as at start; it is checked whole as a start
   * checks it, then what can change live applies at once, or nothing does (see src/reconfigure.ts).
   * The admin listener serves the configuration in force at /config.
   */
  reconfigure: Reload;
  /** Listen on every configured address; returns the bound URLs by listener name. */
  listen(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface BuildOptions {
  log: Logger;
  quickstart?: boolean;
  /**
   * Makes each app's server in place of node:http (Fastify's option): the single executable's
   * build boots the gateway without one, as node:http cannot be in its start-up snapshot
   * (src/cli/snapshot-warm-up.ts).
   */
  serverFactory?: FastifyServerOptions['serverFactory'];
  /**
   * When the gateway counts requests into a metrics registry (`Gateway.metrics`) and keeps each
   * listener's OpenAPI document: `always` (the default), or `with-admin`, only when an admin
   * listener serves them (/metrics, /docs). The sidecars' choice: a proxy that a worker starts
   * for every task loads nothing it does not serve, and prom-client, its process metrics and
   * @fastify/swagger cost that start time and memory (bench/results/startup-steps.md).
   */
  instrumentation?: 'always' | 'with-admin';
}

/** Redis shared by replicas, when configured (its settings checked by checkCoreSettings). */
async function openSharedState(settings: CoreSettings['redis'], log: Logger): Promise<SharedState | undefined> {
  if (!settings.url) return undefined;
  // loaded only here: the Redis client costs as much start-up time as Fastify, and one-task bins never need it
  const { SharedState } = await import('./net/shared-state.js');
  return SharedState.open(settings, log.child({ component: 'redis' }));
}

export function gatewayServices(loaded: LoadedConfig<PluginModule>, options: BuildOptions, trustedProxies: TrustedProxies, shared?: SharedState, events = new GatewayEvents()): GatewayServices {
  const settings = loaded.core;
  const credentials = configuredCredentials(settings);
  let holder: CredentialHolder | undefined;
  let nonceCache: NonceStore | undefined;
  return {
    settings,
    log: options.log,
    credentials,
    trustedProxies,
    publicOrigin: configuredOrigin(settings.publicUrl, PUBLIC_URL_SETTING),
    quickstart: options.quickstart ?? false,
    events,
    nonceCache() {
      nonceCache ??= countingReplays(shared ? new SharedNonceCache(shared) : new NonceCache(), events);
      return nonceCache;
    },
    rateLimitStore: shared ? sharedRateLimitStore(shared) : undefined,
    holder() {
      holder ??= new CredentialHolder(requireCredentials(credentials), { authorizedScopes: settings.taskcluster.authorizedScopes ?? undefined });
      return holder;
    },
    dataDir() {
      const dir = resolve(settings.dataDir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
  };
}

/**
 * The gateway's metrics registry, counting its events (and Redis's availability), with the
 * plugins that count each listener's requests into it and serve it. prom-client is loaded here
 * only: a sidecar without an admin listener never evaluates it.
 */
async function countedMetrics(events: GatewayEvents, shared: SharedState | undefined) {
  const { createMetrics, eventMetrics, metricsRoute, redisGauge, requestMetrics } = await import('./routes/metrics.js');
  const metrics = createMetrics();
  eventMetrics(metrics, events);
  if (shared) redisGauge(metrics, shared);
  return { metrics, requestMetrics, metricsRoute };
}

/** /__heartbeat__ checks of the plugins a listener serves, by plugin name. */
function heartbeatChecks(created: Map<string, CreatedPlugin>, names: string[]): Record<string, HeartbeatCheck> {
  const checks: Record<string, HeartbeatCheck> = {};
  for (const name of names) {
    const check = created.get(name)?.heartbeat;
    if (check) checks[name] = check;
  }
  return checks;
}

function isLoopbackOrAny(host: string): boolean {
  return ['', '::', '0.0.0.0', '127.0.0.1', 'localhost'].includes(host);
}

/**
 * An app as the gateway builds each listener's: its logger, one log line per request, Taskcluster
 * errors (the framework's own included), load shedding when given its settings, and the bounded
 * JSON parser for every context that does not bring its own.
 */
export async function gatewayApp(
  log: Logger,
  listener: string,
  { loadShedding: shedding, events, documented = true, ...options }: Pick<FastifyServerOptions, 'trustProxy' | 'serverFactory'> & {
    loadShedding?: LoadSheddingSettings;
    events?: GatewayEvents;
    /** With its OpenAPI document (@fastify/swagger, loaded only then), which the admin listener's /docs serves. */
    documented?: boolean;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...options,
    loggerInstance: log.child({ listener }) as FastifyBaseLogger,
    logController: new OneLinePerRequest(),
    frameworkErrors: renderError,
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
  });
  await app.register(requestLogFields);
  await app.register(routeCatalog);
  if (documented) {
    const { openApiDocument } = await import('./fastify/api-docs/openapi.js');
    await app.register(openApiDocument, { title: `taskcluster-gateway: ${listener}`, version: versionInfo.version });
  }
  await app.register(errorRenderer);
  await app.register(refuseWhileClosing);
  // before every other hook: a shed request costs as little as it can
  if (shedding) await app.register(loadShedding, { ...shedding, events });
  await app.register(jsonBody);
  return app;
}

export async function buildGateway(loaded: LoadedConfig<PluginModule>, options: BuildOptions): Promise<Gateway> {
  // refused settings fail here, before any plugin opens a store (each capability's create checks its own first)
  const { specs, wanted, verifier, trustedProxies } = checkCoreSettings(loaded, options.quickstart ?? false);
  const shared = await openSharedState(loaded.core.redis, options.log);
  const events = new GatewayEvents();
  const services = gatewayServices(loaded, options, new TrustedProxies(trustedProxies), shared, events);
  const created = new Map<string, CreatedPlugin>();
  const instrumented = options.instrumentation !== 'with-admin' || loaded.core.adminPort > 0;
  const counted = instrumented ? await countedMetrics(events, shared) : undefined;
  const sharedCheck: Record<string, HeartbeatCheck> = shared ? { redis: () => shared.check() } : {};
  const listeners: GatewayListener[] = [];
  let admin: FastifyInstance | undefined;
  let reloader: Reloader;
  /** Extra loopback servers for listeners with allowedNetwork, sharing their app's routing. */
  const loopbackServers: Server[] = [];
  const close = async () => {
    for (const server of loopbackServers) server.close();
    await Promise.allSettled([...listeners.map((l) => l.app.close()), admin?.close()]);
    for (const plugin of created.values()) await plugin.close?.();
    await shared?.close();
  };
  try {
    for (const module of wanted) created.set(module.name, await module.create(moduleSettings(loaded, module), services));
    reloader = configurationReloader({
      started: loaded, quickstart: options.quickstart ?? false, created, log: options.log, events, trustedProxies: services.trustedProxies,
      loggers: () => [options.log, ...listeners.map((l) => l.app.log as Logger), ...(admin ? [admin.log as Logger] : [])],
    });
    // in function form, so that request.ip and request.host follow the list a reload swaps
    const trustProxy = services.trustedProxies.trusts;
    for (const spec of specs) {
      const app = await gatewayApp(options.log, spec.name, { trustProxy, loadShedding: loaded.core.loadShedding, events, serverFactory: options.serverFactory, documented: instrumented });
      if (counted) await app.register(counted.requestMetrics, { metrics: counted.metrics, listener: spec.name });
      await app.register(dockerflowRoutes, { checks: { ...heartbeatChecks(created, spec.plugins), ...sharedCheck } });
      verifier?.attach(app.server, options.log);
      listeners.push({ spec, app });
      try {
        for (const name of spec.plugins) {
          const plugin = created.get(name)!;
          await app.register(plugin.plugin, plugin.options);
        }
        // a listener serving a Taskcluster API serves its references, as a deployment does
        if (taskclusterServices(app.declaredRoutes()).size > 0) {
          const { apiReferences } = await import('./fastify/api-docs/references-routes.js');
          await app.register(apiReferences, { trustedProxies: services.trustedProxies, publicOrigin: services.publicOrigin });
        }
        await app.ready();
        boundRequestTime(app.server, requestTimeoutFor(app.declaredRoutes()));
      } catch (err) {
        // duplicated routes and invalid plugin options surface here: a configuration problem
        throw new ConfigError(`listener ${spec.name}: ${quotableMessage((err as Error).message)}`);
      }
    }
    if (counted && loaded.core.adminPort > 0) {
      // what only the admin listener serves, loaded only for it
      const [{ configurationRoute }, { docsPage }] = await Promise.all([import('./routes/configuration.js'), import('./fastify/api-docs/docs-page.js')]);
      const adminApp = await gatewayApp(options.log, 'admin', { serverFactory: options.serverFactory });
      await adminApp.register(dockerflowRoutes);
      await adminApp.register(counted.metricsRoute, { metrics: counted.metrics });
      await adminApp.register(configurationRoute, { inForce: reloader.inForce });
      const documented = { admin: adminApp, ...Object.fromEntries(listeners.map(({ spec, app }) => [spec.name, app])) };
      await adminApp.register(docsPage, { listeners: documented });
      await adminApp.ready();
      boundRequestTime(adminApp.server, requestTimeoutFor(adminApp.declaredRoutes()));
      admin = adminApp;
    }
  } catch (err) {
    await close();
    throw err;
  }
  const reloads = [...created.values()].flatMap((plugin) => (plugin.reload ? [plugin.reload] : []));
  return {
    listeners,
    admin,
    metrics: counted?.metrics,
    services,
    reload: reloads.length > 0 ? async () => void (await Promise.all(reloads.map((reload) => reload()))) : undefined,
    reconfigure: reloader.reload,
    async listen() {
      const urls: Record<string, string> = {};
      for (const { spec, app } of listeners) {
        const host = spec.host || '::';
        if (!(verifier && loaded.core.allowedNetwork && !isLoopbackOrAny(spec.host))) {
          urls[spec.name] = await app.listen({ host, port: spec.port });
          continue;
        }
        // as taskcluster-proxy: with --allowed-network, the worker still reaches 127.0.0.1:<port>
        const twin = createServer((req, res) => app.routing(req, res));
        twin.on('clientError', answerClientError);
        twin.on('connect', answerConnect);
        boundRequestTime(twin, app.server.requestTimeout);
        verifier.attach(twin, options.log);
        loopbackServers.push(twin);
        urls[spec.name] = await listenWithLoopbackTwin(app, host, spec.port, twin);
      }
      if (admin) urls.admin = await admin.listen({ host: loaded.core.adminIpAddress, port: loaded.core.adminPort });
      return urls;
    },
    close,
  };
}
