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
import { Cancellation } from './cancellation.js';
import { forward, type Forwarder } from './forward.js';
import { clientResponseHeaders } from './hop-headers.js';
import { streamAnswer } from './respond.js';
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
    log: app.log,
  };

  // bodies are forwarded as they arrive, whatever their type: nothing here parses them
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  // a request log line costs about a tenth of a proxied request (redaction, stdout): off unless asked
  const routeOptions = options.logRequests ? {} : { logLevel: 'warn' as const };
  app.all('/*', routeOptions, async (request, reply) => {
    const cancellation = new Cancellation();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) cancellation.cancel();
    });
    let endpoint: string | undefined;
    try {
      const target = resolver.resolve(request.raw.url ?? '/');
      endpoint = target.url;
      const answer = await forward(forwarder, request.raw, target, cancellation);
      const headers = clientResponseHeaders(answer.headers, headersFor(answer.identity));
      headers['x-taskcluster-endpoint'] = endpoint;
      reply.hijack();
      streamAnswer(reply.raw, answer, headers, request.log);
    } catch (err) {
      reply.headers(headersFor(options.holder.current));
      if (endpoint) reply.header('x-taskcluster-endpoint', endpoint);
      throw err;
    }
  });
};
