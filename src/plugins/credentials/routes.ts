/**
 * `PUT /credentials`'s table: replace the credentials the gateway signs with. The swap is one
 * atomic replacement in the shared holder and answers at once: requests already sent upstream
 * keep their signatures, later ones (and later retries) sign with the new credentials. Bad
 * credentials → 400 and the old ones stay.
 */
import { GatewayError } from '../../core/errors.js';
import type { Credentials } from '../../core/credentials.js';
import type { CredentialHolder } from '../../core/holder.js';
import type { IdentityHeaders } from '../../core/identity-headers.js';
import { ANY_METHOD, type ApiRoute } from '../../fastify/routes.js';
import { parseCredentialsBody } from './update.js';

export function credentialsRoutes(holder: CredentialHolder, headersFor: IdentityHeaders): ApiRoute[] {
  return [
    {
      // any method reaches the handler, which answers 405 naming PUT, as taskcluster-proxy did
      method: ANY_METHOD,
      url: '/credentials',
      name: 'updateCredentials',
      title: 'Replace the Credentials',
      description: 'PUT `{clientId, accessToken, certificate}` (any Content-Type or none, as workers send it): the gateway signs with these from now on. 400 and the old credentials kept when they are malformed; 405 for any other method.',
      // No scopes are checked here: whoever reaches this listener may replace the credentials
      // (the worker that started the gateway; the listener is the boundary: loopback, allowedUser).
      scopes: null,
      // no input schema: parseCredentialsBody and the holder check the body, answering InputError
      // as taskcluster-proxy did, and the error body never echoes the token
      body: { text: parseCredentialsBody },
      handler: async (request, reply) => {
        reply.headers(headersFor(holder.current));
        if (request.method !== 'PUT') throw new GatewayError('MethodNotAllowed', `${request.method} is not allowed on /credentials: use PUT`);
        // a request without any body never reaches the parser: refuse it the same way
        const body = request.body === undefined ? parseCredentialsBody('') : request.body;
        const identity = holder.swap(body as Credentials);
        request.log.info({ clientId: identity.credentials.clientId, temporary: identity.certificate !== undefined }, 'credentials replaced');
        return reply.code(200).headers(headersFor(identity)).send();
      },
    },
  ];
}
