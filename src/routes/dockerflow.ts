/**
 * Dockerflow endpoints every listener serves, whatever plugins it has: load-balancer and
 * health checks plus the version document.
 */
import type { FastifyPluginAsync } from 'fastify';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { name: string; version: string };

export interface VersionInfo {
  source: string;
  version: string;
  commit: string;
  build: string;
}

export const versionInfo: VersionInfo = {
  source: 'https://github.com/taskcluster/taskcluster-gateway',
  version: packageJson.version,
  commit: process.env.GATEWAY_GIT_COMMIT ?? 'unknown',
  build: process.env.GATEWAY_BUILD ?? 'local',
};

export interface DockerflowOptions {
  /** Checks run by /__heartbeat__; each resolves when its dependency is healthy. */
  checks?: Record<string, () => Promise<void>>;
}

export const dockerflowRoutes: FastifyPluginAsync<DockerflowOptions> = async (app, options) => {
  const routeConfig = { config: { scopes: null } };
  app.get('/__lbheartbeat__', routeConfig, async () => ({}));
  app.get('/__version__', routeConfig, async () => versionInfo);
  app.get('/__heartbeat__', routeConfig, async (_request, reply) => {
    const results: Record<string, string> = {};
    let healthy = true;
    for (const [name, check] of Object.entries(options.checks ?? {})) {
      try {
        await check();
        results[name] = 'ok';
      } catch {
        results[name] = 'error';
        healthy = false;
      }
    }
    return reply.code(healthy ? 200 : 500).send({ status: healthy ? 'ok' : 'error', checks: results });
  });
};
