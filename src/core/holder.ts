/**
 * The credentials a gateway signs with, shared by the plugins that sign (proxy, bewit) and the one
 * that replaces them (credentials). A swap replaces one immutable snapshot atomically and waits
 * for nothing: every signature is made from exactly one snapshot, old or new (corrections.md).
 */
import { EventEmitter } from 'node:events';
import { checkCredentials, parseCertificate, type Certificate, type Credentials } from './credentials.js';
import { HawkSigner } from './hawk.js';

export interface SigningIdentity {
  readonly credentials: Readonly<Credentials>;
  /** Parsed certificate when the credentials are temporary. */
  readonly certificate: Readonly<Certificate> | undefined;
  /** Restriction sent as ext.authorizedScopes; undefined = the credentials' full scopes. */
  readonly authorizedScopes: readonly string[] | undefined;
  readonly signer: HawkSigner;
}

export interface HolderOptions {
  authorizedScopes?: readonly string[] | undefined;
}


function snapshot(credentials: Credentials, authorizedScopes: readonly string[] | undefined): SigningIdentity {
  const frozen = Object.freeze({ ...credentials });
  return Object.freeze({
    credentials: frozen,
    certificate: parseCertificate(frozen.certificate),
    authorizedScopes: authorizedScopes ? Object.freeze([...authorizedScopes]) : undefined,
    signer: new HawkSigner(frozen, authorizedScopes),
  });
}

export class CredentialHolder extends EventEmitter<{ swap: [SigningIdentity] }> {
  private identity: SigningIdentity;
  private readonly authorizedScopes: readonly string[] | undefined;

  constructor(initial: Credentials, options: HolderOptions = {}) {
    super();
    this.authorizedScopes = options.authorizedScopes;
    this.identity = snapshot(checkCredentials(initial), this.authorizedScopes);
  }

  /** The snapshot to sign the current request with. */
  get current(): SigningIdentity {
    return this.identity;
  }

  /** Validate and install new credentials; throws InputError and keeps the old ones when invalid. */
  swap(credentials: Credentials): SigningIdentity {
    const next = snapshot(checkCredentials(credentials), this.authorizedScopes);
    this.identity = next;
    this.emit('swap', next);
    return next;
  }
}
