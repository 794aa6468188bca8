#!/bin/sh
# Stage the gateway's runtime directory into DEST: the published package (exactly the files
# `npm pack` ships, per package.json "files") and its production dependencies from the lockfile.
# The Dockerfile fills /app with it, scripts/package-rpm.sh the RPM's, and test/deploy/ runs it
# into temporary directories, so what the tests start is what the image and the RPM contain.
# Run it from a built checkout (npm ci, npm run build).
set -eu

dest=${1:?usage: stage-image.sh DEST}
repo=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$repo/dist/index.js" ] || { echo "stage-image: $repo/dist is missing: run npm run build first" >&2; exit 1; }

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT

cd "$repo"
tarball=$(npm pack --silent --pack-destination "$packed")
tar -xzf "$packed/$tarball" -C "$dest" --strip-components=1
# the lockfile is not published, but it is what fixes the production dependency tree
cp package-lock.json "$dest/"
# The checkout's installed tree minus dev dependencies is the tree `npm ci --omit=dev` makes from
# the same lockfile, with native modules already compiled (better-sqlite3 compiles from source
# for minutes where no prebuilt binary can be downloaded). Hard links make that copy instant;
# npm's own record of the tree is unlinked first, as npm prune rewrites it in place.
cp -al node_modules "$dest/" 2>/dev/null || { rm -rf "$dest/node_modules"; cp -R node_modules "$dest/"; }
rm -f "$dest/node_modules/.package-lock.json"

cd "$dest"
npm prune --omit=dev --no-audit --no-fund --loglevel=error
# refuse a tree that does not match package.json and the lockfile (missing, invalid, extraneous)
npm ls --omit=dev --all >/dev/null
