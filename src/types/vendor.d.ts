// Libraries that ship no TypeScript types: only what the gateway uses is declared.
declare module 'taskcluster-lib-scopes' {
  const scopes: {
    validScope(scope: string): boolean;
    validExpression(expr: unknown): boolean;
    satisfiesExpression(held: string[], expr: unknown): boolean;
    normalizeScopeSet(held: string[]): string[];
    scopeIntersection(a: string[], b: string[]): string[];
    removeGivenScopes(held: string[], expr: unknown): any;
    patternMatch(pattern: string, scope: string): boolean;
  };
  export default scopes;
}

declare module 'hawk' {
  interface HawkCredentials { id: string; key: string; algorithm: 'sha256' | 'sha1' }
  interface MacOptions {
    ts: number | string; nonce: string; method: string; resource: string; host: string;
    port: number | string; hash?: string; ext?: string;
  }
  const hawk: {
    crypto: {
      calculateMac(type: 'header' | 'bewit' | 'response', credentials: HawkCredentials, options: MacOptions): string;
      calculatePayloadHash(payload: string | Buffer, algorithm: string, contentType: string): string;
    };
    client: {
      header(uri: string, method: string, options: { credentials: HawkCredentials; ext?: string; payload?: string; contentType?: string; timestamp?: number; nonce?: string }): { header: string };
      getBewit(uri: string | URL, options: { credentials: HawkCredentials; ttlSec: number; ext?: string; localtimeOffsetMsec?: number }): string;
    };
    server: {
      authenticate(req: unknown, credentialsFunc: (id: string) => unknown, options?: Record<string, unknown>): Promise<{ credentials: unknown; artifacts: Record<string, any> }>;
      authenticateBewit(req: unknown, credentialsFunc: (id: string) => unknown, options?: Record<string, unknown>): Promise<{ credentials: unknown; attributes: Record<string, any> }>;
      authenticatePayload(payload: string, credentials: unknown, artifacts: unknown, contentType: string): void;
    };
    utils: {
      parseAuthorizationHeader(header: string, keys?: string[]): Record<string, string>;
      /** maxMatchLength: the longest header or URI hawk's regexes are run on. */
      limits: { maxMatchLength: number };
      parseHost(req: { headers: Record<string, string | undefined>; connection?: { encrypted?: boolean } }, hostHeaderName?: string): { name: string; port: string | number } | null;
    };
  };
  export default hawk;
}

// taskcluster-client ships JavaScript only. Its API classes (Queue, Secrets, Auth...) exist only
// on the default export: `import taskcluster from 'taskcluster-client'`.
declare module 'taskcluster-client' {
  type ClientOptions = {
    rootUrl: string;
    credentials?: { clientId?: string; accessToken?: string; certificate?: string | object | null };
    authorizedScopes?: string[];
    retries?: number;
    timeout?: number;
  };
  type ApiClient = { [method: string]: any; buildSignedUrl(method: unknown, ...args: unknown[]): string; buildUrl(method: unknown, ...args: unknown[]): string };
  type ApiClientClass = new (options: ClientOptions) => ApiClient;
  type TemporaryCredentialsOptions = {
    clientId?: string; start?: Date; expiry: Date; scopes: string[];
    credentials: { clientId: string; accessToken: string };
  };
  export function createTemporaryCredentials(options: TemporaryCredentialsOptions): { clientId: string; accessToken: string; certificate: string };
  export function fromNow(offset: string, reference?: Date): Date;
  export function fromNowJSON(offset: string, reference?: Date): string;
  export function slugid(): string;
  /** A client class from an API reference (`/references/<service>/v1/api.json`). */
  export function createClient(reference: object, name?: string): ApiClientClass;
  const taskcluster: {
    createClient: typeof createClient;
    Queue: ApiClientClass;
    Secrets: ApiClientClass;
    Auth: ApiClientClass;
    createTemporaryCredentials: typeof createTemporaryCredentials;
    fromNow: typeof fromNow;
    fromNowJSON: typeof fromNowJSON;
    slugid: typeof slugid;
  };
  export default taskcluster;
}

// @fastify/rate-limit's own stores, which its types describe only through FastifyRateLimitStore
declare module '@fastify/rate-limit/store/RedisStore.js' {
  import type { FastifyRateLimitStore } from '@fastify/rate-limit';
  import type { Redis } from 'ioredis';
  const RedisStore: new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string) => FastifyRateLimitStore;
  export default RedisStore;
}

declare module '@fastify/rate-limit/store/LocalStore.js' {
  import type { FastifyRateLimitStore } from '@fastify/rate-limit';
  const LocalStore: new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => FastifyRateLimitStore;
  export default LocalStore;
}
