/**
 * `/bewit`: the body is a URL; the answer is 303 to that URL signed with a bewit made from the
 * gateway's current credentials (with their certificate and authorizedScopes), the URL also the body.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CredentialHolder } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { errorRenderer } from '../../fastify/errors.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { bewitTarget } from './signed-url.js';

export interface BewitPluginOptions {
  holder: CredentialHolder;
  /** Lifetime of each bewit (default 1 hour, as taskcluster-proxy). */
  ttlSec?: number;
}

export const bewitPlugin: FastifyPluginAsync<BewitPluginOptions> = async (app, options) => {
  await app.register(errorRenderer);
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });
  const ttlSec = options.ttlSec ?? 3600;

  // the body is the URL whatever the client calls it: curl --data sends form-urlencoded
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // taskcluster-proxy answers any method here
  app.all('/bewit', async (request, reply) => {
    const identity = options.holder.current;
    reply.headers(headersFor(identity));
    const signed = identity.signer.signedUrl(bewitTarget(request.body), ttlSec);
    return reply.code(303).header('location', signed).type('text/plain; charset=utf-8').send(signed);
  });
};
