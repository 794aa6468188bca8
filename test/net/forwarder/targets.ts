/**
 * The two plugins that forward through src/net/forwarder, as targets of the same cases: each
 * started as the gateway runs it, in front of a service, so that `${gateway.base}/x` reaches the
 * service as `/api/svc/v1/x` through either.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Test } from 'tap';
import type { RetryPolicy } from '../../../src/net/forwarder/retry.js';
import { clients, permanent, QUICK_RETRY, startGateway } from '../../plugins/proxy/gateway.js';
import { setup } from '../../plugins/relengapi/gateway-setup.js';

/** Where the cases' requests arrive at the service. */
export const SERVICE_PATH = '/api/svc/v1';

export interface ForwardSettings {
  retry: RetryPolicy;
  bufferLimit: number;
  timeoutMs: number;
}

export const CASE_SETTINGS: ForwardSettings = { retry: QUICK_RETRY, bufferLimit: 1024 * 1024, timeoutMs: 60_000 };

export interface RunningTarget {
  /** Prefix of the gateway's URLs that reach `${service}${SERVICE_PATH}`. */
  base: string;
  /** Whether an attempt that reached the service carried the plugin's credentials. */
  authorized(headers: IncomingHttpHeaders): boolean;
  /** requestInfo.params of an error answer to `${base}${rest}`. */
  params(rest: string): Record<string, string>;
}

export interface Target {
  name: string;
  start(t: Test, serviceUrl: string, settings: ForwardSettings): Promise<RunningTarget>;
}

const proxy: Target = {
  name: 'proxy',
  async start(t, serviceUrl, settings) {
    const gw = await startGateway({ rootUrl: serviceUrl, credentials: permanent(clients.worker), proxy: settings });
    t.teardown(() => gw.close());
    return {
      base: `${gw.url}/svc/v1`,
      authorized: (headers) => /^Hawk id="project\/worker", ts="\d+", nonce="[^"]+", mac="[^"]+"$/.test(headers.authorization ?? ''),
      params: (rest) => ({ '*': `svc/v1${rest}` }),
    };
  },
};

const relengapi: Target = {
  name: 'relengapi',
  async start(t, serviceUrl, settings) {
    const { relengapi: tokens, start } = await setup(t);
    const { url } = await start({
      'relengapi.routes': [`/svc=${serviceUrl}${SERVICE_PATH}`],
      'relengapi.bufferLimit': settings.bufferLimit,
      'relengapi.timeoutMs': settings.timeoutMs,
      ...Object.fromEntries(Object.entries(settings.retry).map(([key, value]) => [`relengapi.retry.${key}`, value])),
    });
    return {
      base: `${url}/svc`,
      authorized: (headers) => tokens.issued.some(({ token }) => headers.authorization === `Bearer ${token}`),
      params: (rest) => ({ '*': rest.slice(1) }),
    };
  },
};

export const TARGETS: readonly Target[] = [proxy, relengapi];
