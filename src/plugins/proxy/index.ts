/**
 * The Hawk-signing proxy: every request no other route claims is forwarded to its Taskcluster
 * target, signed with the gateway's current credentials, bodies streaming both ways.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Agent, type Dispatcher } from 'undici';
import type { CredentialHolder } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { errorRenderer } from '../../fastify/errors.js';
import { versionInfo } from '../../routes/dockerflow.js';
import type { Forwarder } from './forward.js';
import { proxyHandler } from './handler.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { TargetResolver } from './target.js';

export interface ProxyPluginOptions {
  holder: CredentialHolder;
  rootUrl: string;
  /** Hosts the hostname form may reach (exact or `*.suffix`); [] = any, as taskcluster-proxy. */
  allowedHosts?: string[];
  retry?: Partial<RetryPolicy>;
  /** Request bodies up to this size are buffered and replayed on retry (default 1 MiB). */
  bufferLimit?: number;
  /** Upstream response-header and body-idle timeout (default 5 minutes). */
  timeoutMs?: number;
  /** Connections per upstream origin (default 128). */
  connections?: number;
  /** Log every proxied request at info (Fastify's request log); default only warnings and errors. */
  logRequests?: boolean;
  /** Send through this dispatcher instead of the plugin's own pool (tests route hostnames with it). */
  dispatcher?: Dispatcher;
}

/** Levels below warn, lifted to warn for proxied requests unless logRequests. */
const VERBOSE = new Set(['info', 'debug', 'trace']);

export const proxyPlugin: FastifyPluginAsync<ProxyPluginOptions> = async (app, options) => {
  await app.register(errorRenderer);
  const resolver = new TargetResolver(options.rootUrl, options.allowedHosts);
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const dispatcher = options.dispatcher ?? new Agent({ connections: options.connections ?? 128, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (!options.dispatcher) app.addHook('onClose', () => dispatcher.destroy());
  const forwarder: Forwarder = {
    dispatcher,
    holder: options.holder,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    bufferLimit: options.bufferLimit ?? 1024 * 1024,
    timeoutMs,
  };

  // bodies are forwarded as they arrive, whatever their type: nothing here parses them
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  if (!options.logRequests) {
    // each request's logger says only warnings and errors (its request line would cost several
    // percent of a proxied request), still with the request's id
    app.setChildLoggerFactory((logger, bindings, childOptions) =>
      logger.child(bindings, { ...childOptions, level: VERBOSE.has(logger.level) ? 'warn' : logger.level }));
  }

  app.all('/*', proxyHandler({ resolver, forwarder, holder: options.holder, headersFor }));
};
