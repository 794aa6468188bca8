#!/bin/sh
# `npm run package:rpm`: the host-secrets RPM (packaging/host-secrets.spec) from a built checkout.
# Output in RPM_TOPDIR (default build/rpm): RPMS/x86_64/host-secrets-<version>-1.x86_64.rpm, and
# STAGE/app, the staged application the RPM installs as /opt/host-secrets/app.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v rpmbuild >/dev/null 2>&1; then
  echo "package-rpm: rpmbuild is not installed (Debian/Ubuntu: apt-get install -y rpm; EL/Fedora: dnf install rpm-build)" >&2
  exit 1
fi
topdir=${RPM_TOPDIR:-$repo/build/rpm}
rm -rf "$topdir"
mkdir -p "$topdir/STAGE"
topdir=$(cd "$topdir" && pwd)

"$repo/scripts/stage-image.sh" "$topdir/STAGE/app"
# the runtime bundled is the one the native modules were just staged for
node_binary=$(node -p process.execPath)
version=$(node -p "require('$repo/package.json').version")
rpmbuild -bb --quiet \
  --define "_topdir $topdir" \
  --define "version $version" \
  --define "stagedir $topdir/STAGE/app" \
  --define "node_binary $node_binary" \
  --define "packaging $repo/packaging" \
  "$repo/packaging/host-secrets.spec"
echo "package-rpm: $(ls "$topdir"/RPMS/*/host-secrets-*.rpm)"
