/**
 * Settings of the Hawk-signing proxy, and its start: the root URL is required and the shared
 * credential holder (services.holder()) is what it signs with.
 */
import { ConfigError, requireCredentials, requireSetting, type SettingsOf } from '../../config/settings.js';
import { checkForwardingSettings, forwardingSchema } from '../../net/forwarder/settings.js';
import { definePluginModule, NOT_SERVED, type CheckServices } from '../../fastify/capability.js';
import { proxyRoutes } from './routes.js';
import { proxyPlugin, type ProxyPluginOptions } from './index.js';
import { TargetResolver } from './target.js';

const env = (name: string) => `GATEWAY_PROXY_${name}`;

export const proxySchema = {
  proxy: {
    allowedHosts: {
      doc: 'Hosts the /<hostname>/<path> form may reach, comma-separated, exact or *.suffix; empty = any (as taskcluster-proxy)',
      format: Array, default: [] as string[], env: env('ALLOWED_HOSTS'), arg: 'proxy-allowed-hosts',
    },
    ...forwardingSchema('proxy'),
    logRequests: {
      doc: 'Log every proxied request at info; off by default, since a line per request costs about 5 % of the CPU of a small proxied request (warnings and errors are always logged, with the request id)',
      format: Boolean, default: false, env: env('LOG_REQUESTS'), arg: 'proxy-log-requests',
    },
  },
};

export const proxyModule = definePluginModule({
  name: 'proxy',
  schema: proxySchema,
  documentedRoutes: () => proxyRoutes(NOT_SERVED),
  liveSettings: ['proxy.allowedHosts'],
  check: (settings, services) => void checkSettings(settings, services),
  async create(settings, services) {
    const rootUrl = checkSettings(settings, services);
    const { proxy } = settings;
    // one list, its entries replaced in one step by a reload, read by every listener's resolver
    const allowedHosts = [...proxy.allowedHosts];
    const holder = services.holder();
    const options: ProxyPluginOptions = {
      holder,
      rootUrl,
      allowedHosts,
      retry: proxy.retry,
      bufferLimit: proxy.bufferLimit,
      timeoutMs: proxy.timeoutMs,
      connections: proxy.connections,
      logRequests: proxy.logRequests,
      events: services.events && { tally: services.events, plugin: 'proxy' },
    };
    return {
      plugin: proxyPlugin,
      options,
      async reconfigure({ proxy: next }) {
        // an empty list means any host: a file that lost the setting must not open the proxy unnoticed
        if (allowedHosts.length > 0 && next.allowedHosts.length === 0) {
          throw new ConfigError('proxy.allowedHosts (--proxy-allowed-hosts): a reload cannot lift the restriction (an empty list allows every host); restart to do that');
        }
        return () => void allowedHosts.splice(0, allowedHosts.length, ...next.allowedHosts);
      },
    };
  },
});

/** Every check of the settings, a start's and a reload's; the root URL, for create. */
function checkSettings({ proxy: settings }: SettingsOf<typeof proxySchema>, services: CheckServices): string {
  const rootUrl = requireSetting(services.settings.taskcluster.rootUrl, 'taskcluster.rootUrl', 'TASKCLUSTER_ROOT_URL, --root-url');
  try {
    new TargetResolver(rootUrl);
  } catch (err) {
    throw new ConfigError(`setting taskcluster.rootUrl (--root-url / TASKCLUSTER_ROOT_URL): ${(err as Error).message}`);
  }
  checkForwardingSettings(settings, 'proxy');
  // what it signs with (services.holder() holds them)
  requireCredentials(services.credentials);
  return rootUrl;
}
