/**
 * Taskcluster references from the routes tables, in the format taskcluster-lib-references
 * serves at a deployment's root (absolute form): `/references/manifest.json` listing one
 * `/references/<service>/<version>/api.json` per service (schema
 * `/schemas/common/api-reference-v0.json#`), and each route's input and output JSON schemas at
 * `/schemas/<service>/<version>/<file>.json`, which the entries name relative to the service's
 * schema location.
 *
 * A route belongs to a Taskcluster service when its URL is one a Taskcluster client builds:
 * `/api/<service>/<version>/<route>` (taskcluster-lib-urls' `api()`), with one method. Other
 * routes (the proxy's, Dockerflow's) are not Taskcluster APIs and appear only in the OpenAPI
 * document.
 */
import type { ApiRoute, JsonSchema } from '../routes.js';

const API_URL = /^\/api\/([a-z][a-z0-9_-]*)\/(v[0-9]+)(\/.*)$/;

/** Query parameters that are no call's option: the signed-URL bewit is how a call authenticates. */
const NOT_OPTIONS = new Set(['bewit']);

export interface ApiEntry {
  type: 'function';
  method: string;
  route: string;
  args: string[];
  query: string[];
  name: string;
  title: string;
  description: string;
  stability: string;
  scopes?: unknown;
  input?: string;
  output?: string;
}

export interface ApiReference {
  $schema: string;
  apiVersion: string;
  serviceName: string;
  title: string;
  description: string;
  entries: ApiEntry[];
}

export interface References {
  manifest: { $schema: string; references: string[] };
  /** By `<service>/<version>`. */
  apis: Map<string, ApiReference>;
  /** By `<service>/<version>/<file>.json`. */
  schemas: Map<string, Record<string, unknown>>;
}

interface ServiceRoute {
  service: string;
  version: string;
  /** The route as a reference writes it: `/secret/<name>`. */
  route: string;
  args: string[];
  declaration: ApiRoute;
}

/** `:param` → `<param>`; a trailing `*` → `<name>` where scopeParams names it, else `<path>`. */
function referenceRoute(path: string, declaration: ApiRoute): { route: string; args: string[] } {
  const wildcardName = Object.entries(declaration.scopeParams ?? {}).find(([, param]) => param === '*')?.[0] ?? 'path';
  const args: string[] = [];
  const route = path.replace(/:([A-Za-z0-9_]+)|\*$/g, (_match, param: string | undefined) => {
    const arg = param ?? wildcardName;
    args.push(arg);
    return `<${arg}>`;
  });
  return { route, args };
}

function serviceRoute(declaration: ApiRoute): ServiceRoute | undefined {
  if (typeof declaration.method !== 'string' || declaration.method === 'ANY') return undefined;
  const match = API_URL.exec(declaration.url);
  if (!match) return undefined;
  return { service: match[1]!, version: match[2]!, ...referenceRoute(match[3]!, declaration), declaration };
}

/** The Taskcluster service routes of a table, by `<service>/<version>`. */
export function taskclusterServices(routes: readonly ApiRoute[]): Map<string, ServiceRoute[]> {
  const services = new Map<string, ServiceRoute[]>();
  for (const declaration of routes) {
    const route = serviceRoute(declaration);
    if (!route) continue;
    const key = `${route.service}/${route.version}`;
    services.set(key, [...(services.get(key) ?? []), route]);
  }
  return services;
}

const title = (service: string) => `${service[0]!.toUpperCase()}${service.slice(1)} Service`;

/** `origin`: the deployment's rootUrl as the caller reached it (`http://127.0.0.1:8080`). */
export function taskclusterReferences(routes: readonly ApiRoute[], origin: string): References {
  const apis = new Map<string, ApiReference>();
  const schemas = new Map<string, Record<string, unknown>>();
  for (const [key, serviceRoutes] of taskclusterServices(routes)) {
    const { service, version } = serviceRoutes[0]!;
    // one file per schema object: `set`'s input and `get`'s output are one document when the table shares it
    const files = new Map<JsonSchema, string>();
    const schemaFile = (schema: JsonSchema | undefined, file: string): string | undefined => {
      if (!schema) return undefined;
      if (!files.has(schema)) {
        files.set(schema, file);
        schemas.set(`${key}/${file}`, {
          $schema: 'http://json-schema.org/draft-07/schema#',
          $id: `${origin}/schemas/${key}/${file}#`,
          ...schema,
        });
      }
      return `${version}/${files.get(schema)!}#`;
    };
    apis.set(key, {
      $schema: `${origin}/schemas/common/api-reference-v0.json#`,
      apiVersion: version,
      serviceName: service,
      title: title(service),
      description: `The ${service} API (${version}) as this gateway serves it.`,
      entries: serviceRoutes.map(({ route, args, declaration }) => {
        const input = schemaFile(declaration.input, `${declaration.name}-request.json`);
        const output = schemaFile(declaration.output, `${declaration.name}-response.json`);
        const query = Object.keys((declaration.query as { properties?: object } | undefined)?.properties ?? {}).filter((q) => !NOT_OPTIONS.has(q));
        return {
          type: 'function' as const,
          method: (declaration.method as string).toLowerCase(),
          route,
          args,
          query,
          name: declaration.name,
          title: declaration.title,
          description: declaration.description,
          stability: declaration.stability ?? 'stable',
          ...(declaration.scopes !== null ? { scopes: declaration.scopes } : {}),
          ...(input ? { input } : {}),
          ...(output ? { output } : {}),
        };
      }),
    });
  }
  return {
    manifest: {
      $schema: `${origin}/schemas/common/manifest-v3.json#`,
      references: [...apis.keys()].map((key) => `${origin}/references/${key}/api.json`),
    },
    apis,
    schemas,
  };
}
