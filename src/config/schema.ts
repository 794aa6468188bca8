/**
 * The core convict schema: settings every deployment shape shares. Each plugin adds its own
 * section (src/plugins/<name>/capability.ts); src/config/load.ts composes them.
 * Environment names are the ones the replaced tools used, so existing deployments work as they are.
 */
import type { SettingsOf } from './settings.js';
import './formats.js';

export const coreSchema = {
  plugins: {
    doc: 'Plugins to enable, comma-separated (proxy, bewit, credentials, host-secrets, relengapi, secrets)',
    format: Array,
    default: [] as string[],
    env: 'GATEWAY_PLUGINS',
    arg: 'plugins',
  },
  port: {
    doc: 'Port of the single listener (when no listeners are configured)',
    format: 'port',
    default: 8080,
    env: 'PORT',
    arg: 'port',
  },
  ipAddress: {
    doc: 'Address of the single listener (when no listeners are configured); empty = all interfaces',
    format: String,
    default: '127.0.0.1',
    env: 'GATEWAY_IP_ADDRESS',
    arg: 'ip-address',
  },
  listeners: {
    doc: 'Listeners as a JSON list of {name, host, port, plugins}; each serves the plugins it names (overrides port/ip-address)',
    format: 'listener-list',
    default: [] as ListenerSpec[],
    env: 'GATEWAY_LISTENERS',
    arg: 'listeners',
  },
  adminPort: {
    doc: 'Port of the admin listener on adminIpAddress, serving /metrics, the configuration in force at /config, and the API documents at /openapi/<listener>.json and /docs; 0 = none',
    format: 'port',
    default: 0,
    env: 'GATEWAY_ADMIN_PORT',
    arg: 'admin-port',
  },
  adminIpAddress: {
    doc: 'Address of the admin listener',
    format: String,
    default: '127.0.0.1',
    env: 'GATEWAY_ADMIN_IP_ADDRESS',
    arg: 'admin-ip-address',
  },
  taskcluster: {
    rootUrl: { doc: 'Taskcluster root URL', format: String, default: '', env: 'TASKCLUSTER_ROOT_URL', arg: 'root-url' },
    clientId: { doc: 'Taskcluster clientId the gateway acts as', format: 'taskcluster-client-id', default: '', env: 'TASKCLUSTER_CLIENT_ID', arg: 'client-id' },
    accessToken: { doc: 'Access token of that client', format: String, default: '', env: 'TASKCLUSTER_ACCESS_TOKEN', arg: 'access-token', sensitive: true },
    certificate: { doc: 'Certificate (JSON) when the credentials are temporary; empty = permanent', format: 'taskcluster-certificate', default: '', env: 'TASKCLUSTER_CERTIFICATE', arg: 'certificate', sensitive: true },
    authorizedScopes: {
      doc: 'Restrict every signature of the gateway (proxy, /bewit) to these scopes (ext.authorizedScopes), a JSON array; empty = unrestricted, [] = no authority. taskcluster-proxy: positional <scope>... and --task-id',
      format: 'optional-scope-list',
      default: null as string[] | null,
      env: 'GATEWAY_AUTHORIZED_SCOPES',
      arg: 'authorized-scopes',
    },
  },
  redis: {
    url: {
      doc: 'Redis shared by replicas for Hawk replay protection and rate limits, redis://[:password@]host:port[/db] (rediss:// for TLS); empty = each process keeps its own',
      format: String, default: '', env: 'GATEWAY_REDIS_URL', arg: 'redis-url', sensitive: true,
    },
    required: {
      doc: 'While Redis is unavailable, answer 503 instead of serving on per-process state',
      format: Boolean, default: false, env: 'GATEWAY_REDIS_REQUIRED', arg: 'redis-required',
    },
    timeoutMs: {
      doc: 'How long one Redis command may take before Redis counts as unavailable',
      format: 'nat', default: 250, env: 'GATEWAY_REDIS_TIMEOUT_MS', arg: 'redis-timeout-ms',
    },
    keyPrefix: {
      doc: 'Prefix of every key the gateway writes in Redis, so deployments can share one',
      format: String, default: 'taskcluster-gateway:', env: 'GATEWAY_REDIS_KEY_PREFIX', arg: 'redis-key-prefix',
    },
  },
  loadShedding: {
    maxEventLoopDelayMs: {
      doc: 'Shed load (503 with Retry-After, /__lbheartbeat__ 503 too) while the event loop\'s mean delay over the last sample exceeds this; 0 = never',
      format: 'nat', default: 1000, env: 'GATEWAY_MAX_EVENT_LOOP_DELAY_MS', arg: 'max-event-loop-delay-ms',
    },
    maxEventLoopUtilization: {
      doc: 'Shed load while the event loop was busy more than this share (0 to 1) of the last sample; 0 = never',
      format: 'fraction', default: 0, env: 'GATEWAY_MAX_EVENT_LOOP_UTILIZATION', arg: 'max-event-loop-utilization',
    },
    maxHeapUsedBytes: {
      doc: 'Shed load while the V8 heap in use exceeds this many bytes; 0 = never',
      format: 'nat', default: 0, env: 'GATEWAY_MAX_HEAP_USED_BYTES', arg: 'max-heap-used-bytes',
    },
    maxRssBytes: {
      doc: 'Shed load while the resident set size exceeds this many bytes; 0 = never',
      format: 'nat', default: 0, env: 'GATEWAY_MAX_RSS_BYTES', arg: 'max-rss-bytes',
    },
    sampleIntervalMs: {
      doc: 'How often the load is measured (at least 100 ms); each measurement holds until the next',
      format: 'nat', default: 1000, env: 'GATEWAY_LOAD_SAMPLE_INTERVAL_MS', arg: 'load-sample-interval-ms',
    },
    retryAfterSec: {
      doc: 'Retry-After of a shed request, in seconds (at least 1)',
      format: 'nat', default: 10, env: 'GATEWAY_LOAD_RETRY_AFTER_SEC', arg: 'load-retry-after-sec',
    },
  },
  nodeEnv: { doc: 'Node environment', format: String, default: 'production', env: 'NODE_ENV' },
  deployEnv: {
    doc: 'Section of the program\'s own config file (config/<program>.yml) to apply after its defaults section, as host-secrets did',
    format: String,
    default: '',
    env: 'DEPLOY_ENV',
    arg: 'env',
  },
  configFiles: { doc: 'Extra config files (YAML or JSON), comma-separated, applied in order', format: Array, default: [] as string[], env: 'GATEWAY_CONFIG', arg: 'config' },
  publicUrl: {
    doc: 'The origin clients reach the gateway at (https://gateway.example.com): the rootUrl its API references name and the host FORCE_SSL redirects to; empty = the Host each request names (or a trusted proxy\'s X-Forwarded-*), answered with Vary on those headers',
    format: String,
    default: '',
    env: 'GATEWAY_PUBLIC_URL',
    arg: 'public-url',
  },
  forceSsl: { doc: 'Redirect plain-http GET to https (other methods 403) and send HSTS', format: Boolean, default: false, env: 'FORCE_SSL', arg: 'force-ssl' },
  trustProxy: { doc: 'Trust X-Forwarded-Proto from a front proxy (FORCE_SSL only; only from trustedProxies when it names any)', format: Boolean, default: false, env: 'TRUST_PROXY', arg: 'trust-proxy' },
  trustedProxies: {
    doc: 'CIDRs of front proxies whose X-Forwarded-For/-Host/-Port are believed; empty = the TCP peer is the client',
    format: Array,
    default: [] as string[],
    env: 'GATEWAY_TRUSTED_PROXIES',
    arg: 'trusted-proxies',
  },
  allowedUser: {
    doc: 'Serve only TCP connections whose peer socket belongs to this OS user (or root), found in /proc/net/tcp (Linux)',
    format: String,
    default: '',
    env: 'GATEWAY_ALLOWED_USER',
    arg: 'allowed-user',
  },
  allowedNetwork: {
    doc: 'CIDR also admitted when the peer socket is not visible here (container bridge traffic); requires allowedUser; also listens on 127.0.0.1',
    format: String,
    default: '',
    env: 'GATEWAY_ALLOWED_NETWORK',
    arg: 'allowed-network',
  },
  dataDir: { doc: 'Directory for embedded state (SQLite database, generated keys and clients)', format: String, default: './data', env: 'GATEWAY_DATA_DIR', arg: 'data-dir' },
  logLevel: { doc: 'Log level (fatal, error, warn, info, debug, trace, silent)', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', env: 'GATEWAY_LOG_LEVEL', arg: 'log-level' },
  startupWaitMs: {
    doc: 'How long a program waits at start for a service it must reach before it can serve (the queue holding its task, the auth service, the secrets database), retrying with backoff, before it exits 2',
    format: 'nat', default: 30_000, env: 'GATEWAY_STARTUP_WAIT_MS', arg: 'startup-wait-ms',
  },
  shutdownTimeoutMs: { doc: 'How long requests in flight may take to finish on SIGTERM/SIGINT', format: 'nat', default: 10_000, env: 'GATEWAY_SHUTDOWN_TIMEOUT_MS', arg: 'shutdown-timeout-ms' },
};

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  plugins: string[];
}

export type CoreSettings = SettingsOf<typeof coreSchema>;
