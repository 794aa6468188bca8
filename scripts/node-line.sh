#!/usr/bin/env bash
# scripts/node-line.sh MAJOR: prints the directory of an official Node.js build of that major line
# (bin/node, and include/node: the headers node-gyp builds native modules against).
#
# The build comes from the npm registry's node-linux-<arch> package (Node's official release
# tarball, republished), fetched once with `npm pack` into the cache, $NODE_LINES_CACHE/<version>/:
# by default /var/cache/taskcluster-gateway/node where it can be written (root), else
# ~/.cache/taskcluster-gateway/node. Readable by every user: the tests run node as others too.
# The newest release of the line is used; without the registry, the newest one already cached.
set -euo pipefail

major=${1:?usage: scripts/node-line.sh MAJOR (e.g. 24)}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node-line: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
if [ -z "${NODE_LINES_CACHE:-}" ]; then
  if [ -w /var/cache ]; then NODE_LINES_CACHE=/var/cache/taskcluster-gateway/node
  else NODE_LINES_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/taskcluster-gateway/node; fi
fi
cache=$NODE_LINES_CACHE
mkdir -p -m 755 "$cache"
exec 9>"$cache/.lock"
flock 9

# `npm view pkg@24 version` prints one line per matching version, oldest first
version=$(npm view "node-linux-$arch@$major" version --json 2>/dev/null | tr -d '[]", ' | grep -E "^$major\." | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
  version=$(ls "$cache" | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -V | tail -n 1 || true)
  [ -n "$version" ] || { echo "node-line: cannot resolve node-linux-$arch@$major (registry unreachable, nothing cached)" >&2; exit 1; }
fi

dir=$cache/$version
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  tarball=$(cd "$work" && npm pack "node-linux-$arch@$version" --silent)
  tar -xzf "$work/$tarball" -C "$work"
  "$work/package/bin/node" --version >/dev/null
  chmod 755 "$work/package"
  rm -rf "$dir"
  mv "$work/package" "$dir"
fi
echo "$dir"
