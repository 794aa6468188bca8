/**
 * `PUT /credentials`: replace the credentials the gateway signs with. The swap is one atomic
 * replacement in the shared holder and answers at once: requests already sent upstream keep
 * their signatures, later ones (and later retries) sign with the new credentials. Bad
 * credentials → 400 and the old ones stay.
 */
import type { FastifyPluginAsync } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { Credentials } from '../../core/credentials.js';
import type { CredentialHolder } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { errorRenderer } from '../../fastify/errors.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { parseCredentialsBody } from './update.js';

export interface CredentialsPluginOptions {
  holder: CredentialHolder;
}

export const credentialsPlugin: FastifyPluginAsync<CredentialsPluginOptions> = async (app, options) => {
  await app.register(errorRenderer);
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseCredentialsBody(body as string));
    } catch (err) {
      done(err as GatewayError, undefined);
    }
  });

  app.all('/credentials', async (request, reply) => {
    reply.headers(headersFor(options.holder.current));
    if (request.method !== 'PUT') throw new GatewayError('MethodNotAllowed', `${request.method} is not allowed on /credentials: use PUT`);
    // a request without any body never reaches the parser: refuse it the same way
    const body = request.body === undefined ? parseCredentialsBody('') : request.body;
    const identity = options.holder.swap(body as Credentials);
    request.log.info({ clientId: identity.credentials.clientId, temporary: identity.certificate !== undefined }, 'credentials replaced');
    return reply.code(200).headers(headersFor(identity)).send();
  });
};
