/**
 * `/bewit`'s table: the body is a URL; the answer is 303 to that URL signed with a bewit made from
 * the gateway's current credentials (with their certificate and authorizedScopes), the URL also
 * the body.
 */
import type { CredentialHolder } from '../../core/holder.js';
import type { IdentityHeaders } from '../../core/identity-headers.js';
import { ANY_METHOD, type ApiRoute } from '../../fastify/routes.js';
import { bewitTarget } from './signed-url.js';

export function bewitRoutes(holder: CredentialHolder, ttlSec: number, headersFor: IdentityHeaders): ApiRoute[] {
  return [
    {
      // taskcluster-proxy answers any method here
      method: ANY_METHOD,
      url: '/bewit',
      name: 'bewit',
      title: 'Sign a URL',
      description: `Answers 303 to the URL in the body, signed with a bewit (valid ${ttlSec} s) from the gateway's current credentials, the signed URL also the body. The body is read as text whatever its Content-Type (\`curl --data\` sends it form-encoded).`,
      // No scopes are checked here: whoever reaches this listener signs with the gateway's
      // credentials (the listener is the boundary: loopback, allowedUser); the service the URL
      // names checks the scopes of those credentials, within authorizedScopes.
      scopes: null,
      body: 'text',
      handler: async (request, reply) => {
        const identity = holder.current;
        reply.headers(headersFor(identity));
        const signed = identity.signer.signedUrl(bewitTarget(request.body), ttlSec);
        return reply.code(303).header('location', signed).type('text/plain; charset=utf-8').send(signed);
      },
    },
  ];
}
