# taskcluster-gateway image. By default it is the taskcluster-proxy drop-in on port 80, as
# docker-worker's linked `taskcluster` container:
#   docker run -p 127.0.0.1:8080:80 IMAGE --client-id ... --access-token ... --certificate ... --root-url ... [scopes...]
# Arguments after IMAGE are taskcluster-proxy's flags; the port comes from PORT (-e PORT=8000),
# which the health check also reads. The other bins: docker run --entrypoint node IMAGE dist/cli/<bin>.js ...
#
# /app is exactly what scripts/stage-image.sh produces; test/deploy/image.test.ts runs that script
# and this file's ENTRYPOINT, ENV and HEALTHCHECK from a temporary directory, and
# `npm run test:image` (scripts/test-image.sh) builds this file with a real Docker engine and runs it.

FROM node:24-bookworm AS build
# npm's standard setting, unset by default: a registry mirror for `npm ci` (npm rewrites the
# lockfile's registry.npmjs.org URLs to it). npm run test:image points it at its local Verdaccio.
ARG NPM_CONFIG_REGISTRY
WORKDIR /src
COPY package.json package-lock.json ./
# all dependencies: the compiler is a dev dependency, and native modules are compiled here once
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && scripts/stage-image.sh /app

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=80 \
    GATEWAY_DATA_DIR=/data
COPY --from=build /app /app
RUN mkdir /data && chown node:node /data
WORKDIR /app
# Port 80 as a non-root user: Docker lets containers bind low ports (ip_unprivileged_port_start=0)
# except with --network host, where PORT must be 1024 or above.
USER node
EXPOSE 80
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/__lbheartbeat__`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The port comes from PORT (the setting's environment variable); a --port among the arguments
# given to `docker run` wins over it, as a flag does over the environment.
ENTRYPOINT ["node", "/app/dist/cli/taskcluster-proxy.js"]
