/**
 * A whole gateway as buildGateway makes it, with its admin listener, every listener on
 * 127.0.0.1 port 0 (closed when the test ends), and /metrics scraped from the admin listener
 * over HTTP and read into samples.
 */
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../../src/config/load.js';
import type { PluginModule } from '../../src/fastify/capability.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, type Gateway } from '../../src/server.js';

export interface GatewayWithAdmin {
  gateway: Gateway;
  /** Each listener's URL by name. */
  urls: Record<string, string>;
  /** The admin listener's URL. */
  adminUrl: string;
  /** /metrics from the admin listener: every sample as `name{labels}` → value. */
  scrape(): Promise<Record<string, number>>;
}

/** Samples of the metrics whose names start with `prefix`, as `name{labels}` → value. */
export function samplesOf(samples: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(samples).filter(([key]) => key.startsWith(prefix)));
}

/** The exposition format read into samples (comment lines skipped). */
export function parseExposition(text: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return samples;
}

/** A logger whose lines go nowhere (a route's own log level, such as host-secrets' warn, still writes to it). */
const discard = () => createLogger('info', new Writable({ write: (_chunk, _encoding, done) => done() }));

/** `quickstart` lets a gateway start with no plugin (a listener of Dockerflow routes only). */
export async function gatewayWithAdmin(t: Test, loaded: LoadedConfig<PluginModule>, options: { log?: Logger; quickstart?: boolean } = {}): Promise<GatewayWithAdmin> {
  loaded.core.adminPort = 1; // any non-zero port enables the admin listener; it binds below on an ephemeral one
  const gateway = await buildGateway(loaded, { log: options.log ?? discard(), quickstart: options.quickstart });
  t.teardown(() => gateway.close());
  const urls: Record<string, string> = {};
  for (const { spec, app } of gateway.listeners) urls[spec.name] = await app.listen({ host: '127.0.0.1', port: 0 });
  const adminUrl = await gateway.admin!.listen({ host: '127.0.0.1', port: 0 });
  return {
    gateway,
    urls,
    adminUrl,
    async scrape() {
      const res = await fetch(`${adminUrl}/metrics`);
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return parseExposition(await res.text());
    },
  };
}
