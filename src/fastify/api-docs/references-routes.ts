/**
 * The routes serving a listener's Taskcluster references and schemas, as a deployment serves
 * them (taskcluster-references.ts), for the routes this listener serves (catalog.ts).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { TrustedProxies } from '../../net/trusted-proxies.js';
import { publicOrigin, type TrustedPeer } from '../addressed-origin.js';
import { declareRoutes, type ApiRoute } from '../routes.js';
import { ROUTE_CATALOG } from './catalog.js';
import { taskclusterReferences, type References } from './taskcluster-references.js';

const segment = { type: 'string', pattern: '^[a-z0-9_.-]+$' } as const;

const manifestAnswer = {
  type: 'object',
  properties: { $schema: { type: 'string' }, references: { type: 'array', items: { type: 'string' } } },
  required: ['$schema', 'references'],
} as const;

/** How a listener's references name their rootUrl. */
interface RootUrlSource {
  /** Whether a peer is a trusted front proxy, whose X-Forwarded-* name the origin. */
  trusted: TrustedPeer;
  /** The configured public origin; undefined: the origin the caller reached this listener at. */
  publicOrigin: string | undefined;
}

/** rootUrl: the configured public origin, else the caller's addressed origin (X-Forwarded-* from a trusted front proxy; 400 when invalid; the answer varies with them). */
function referencesOf(request: FastifyRequest, reply: FastifyReply, source: RootUrlSource): References {
  return taskclusterReferences(request.server.declaredRoutes(), publicOrigin(request, reply, source.trusted, source.publicOrigin));
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new GatewayError('ResourceNotFound', `${what} not found`);
  return value;
}

export function referenceRoutes(trusted: TrustedPeer = () => false, publicOrigin?: string): ApiRoute[] {
  const source: RootUrlSource = { trusted, publicOrigin };
  const common = { method: 'GET', scopes: null, answersHead: true } as const;
  return [
    {
      ...common,
      url: '/references/manifest.json',
      name: 'referencesManifest',
      title: 'References Manifest',
      description: "The manifest of this listener's Taskcluster API references (`/schemas/common/manifest-v3.json#`).",
      output: manifestAnswer,
      handler: async (request, reply) => referencesOf(request, reply, source).manifest,
    },
    {
      ...common,
      url: '/references/:service/:version/api.json',
      name: 'apiReference',
      title: 'API Reference',
      description: "One service's Taskcluster API reference (`/schemas/common/api-reference-v0.json#`), for taskcluster-client's `createClient`.",
      params: { type: 'object', properties: { service: segment, version: segment }, required: ['service', 'version'] },
      output: { type: 'object' },
      handler: async (request, reply) => {
        const { service, version } = request.params as { service: string; version: string };
        return found(referencesOf(request, reply, source).apis.get(`${service}/${version}`), `reference ${service}/${version}`);
      },
    },
    {
      ...common,
      url: '/schemas/:service/:version/:file',
      name: 'schema',
      title: 'JSON Schema',
      description: 'A JSON schema an API reference names as the input or output of a call.',
      params: { type: 'object', properties: { service: segment, version: segment, file: segment }, required: ['service', 'version', 'file'] },
      output: { type: 'object' },
      handler: async (request, reply) => {
        const { service, version, file } = request.params as { service: string; version: string; file: string };
        return found(referencesOf(request, reply, source).schemas.get(`${service}/${version}/${file}`), `schema ${service}/${version}/${file}`);
      },
    },
  ];
}

export interface ApiReferencesOptions {
  /**
   * Front proxies whose X-Forwarded-Host/-Port/-Proto name the rootUrl: CIDRs, fixed; or the
   * gateway's TrustedProxies, whose list a reload changes. None by default.
   */
  trustedProxies?: readonly string[] | TrustedProxies;
  /** The origin clients reach this listener at (`https://gateway.example.com`), the rootUrl of every reference; by default each request's. */
  publicOrigin?: string;
}

/** Serves the references of what the app it is registered on serves; needs routeCatalog on that app. */
export const apiReferences: FastifyPluginAsync<ApiReferencesOptions> = async (app, options) => {
  if (!app.hasDecorator('declaredRoutes')) throw new Error(`apiReferences needs ${ROUTE_CATALOG} registered where the app is made`);
  await declareRoutes(app, referenceRoutes(TrustedProxies.of(options.trustedProxies).trusts, options.publicOrigin));
};
