/**
 * The Hawk-signing proxy: every request no other route claims is forwarded to its Taskcluster
 * target, signed with the gateway's current credentials, bodies streaming both ways (routes.ts).
 * It only composes: the forwarder, the target resolver and the handler.
 */
import type { CredentialHolder, SigningIdentity } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes } from '../../fastify/routes.js';
import { createForwarder, type CredentialSource, type ForwardingOptions } from '../../net/forwarder/forwarder.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { proxyHandler } from './handler.js';
import { proxyRoutes } from './routes.js';
import { TargetResolver, type Target } from './target.js';

export interface ProxyPluginOptions extends ForwardingOptions {
  holder: CredentialHolder;
  rootUrl: string;
  /**
   * Hosts the hostname form may reach (exact or `*.suffix`); [] = any, as
   * taskcluster-proxy. Read at each request: replacing its entries (a reload) applies at once.
   */
  allowedHosts?: string[];
  /** Log every proxied request at info (Fastify's request log); default only warnings and errors. */
  logRequests?: boolean;
}

/** Each attempt signed with the identity the holder has at that moment: a fresh Hawk header. */
function hawkSigning(holder: CredentialHolder): CredentialSource<Target, SigningIdentity> {
  return {
    current: () => holder.current,
    authorization: (identity, method, target) => identity.signer.header({ method, host: target.host, port: target.port, resource: target.path }),
  };
}

/** Levels below warn, lifted to warn for proxied requests unless logRequests. */
const VERBOSE = new Set(['info', 'debug', 'trace']);

export const proxyPlugin = capabilityPlugin<ProxyPluginOptions>('proxy', async (app, options) => {
  const resolver = new TargetResolver(options.rootUrl, options.allowedHosts);
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });
  // a body sent without a Content-Type is JSON, as taskcluster-proxy has it (Taskcluster issue #3521)
  const { forwarder, close } = createForwarder(options, hawkSigning(options.holder), 'application/json');
  app.addHook('onClose', close);

  if (!options.logRequests) {
    // each request's logger says only warnings and errors (its request line would cost several
    // percent of a proxied request), still with the request's id
    app.setChildLoggerFactory((logger, bindings, childOptions) =>
      logger.child(bindings, { ...childOptions, level: VERBOSE.has(logger.level) ? 'warn' : logger.level }));
  }

  await declareRoutes(app, proxyRoutes(proxyHandler({ resolver, forwarder, holder: options.holder, headersFor })));
});
