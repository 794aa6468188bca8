/**
 * The headers taskcluster-proxy puts on every answer, saying which credentials sign: computed once
 * per signing identity (a snapshot never changes) and per release.
 */
import type { SigningIdentity } from './holder.js';

export interface Release {
  version: string;
  revision: string;
}

export type IdentityHeaders = (identity: SigningIdentity) => Readonly<Record<string, string>>;

export function identityHeaders(release: Release): IdentityHeaders {
  const cache = new WeakMap<SigningIdentity, Readonly<Record<string, string>>>();
  return (identity) => {
    let headers = cache.get(identity);
    if (!headers) {
      const made: Record<string, string> = {
        'x-taskcluster-proxy-version': release.version,
        'x-taskcluster-proxy-revision': release.revision,
      };
      if (identity.certificate) {
        made['x-taskcluster-proxy-temp-clientid'] = identity.credentials.clientId;
        made['x-taskcluster-proxy-temp-scopes'] = JSON.stringify(identity.certificate.scopes);
      } else {
        made['x-taskcluster-proxy-perm-clientid'] = identity.credentials.clientId;
      }
      if (identity.authorizedScopes) made['x-taskcluster-authorized-scopes'] = JSON.stringify(identity.authorizedScopes);
      headers = Object.freeze(made);
      cache.set(identity, headers);
    }
    return headers;
  };
}
