#!/usr/bin/env bash
# Builds one image of deploy/images/<name>/ without a registry and without a container engine:
# a root filesystem from Debian packages (mmdebstrap) or from the recipe's own build step, wrapped
# as an OCI image by umoci, written as an OCI archive that `ctr images import` takes.
#
#   deploy/images/build.sh <name> <cache-dir>
#   deploy/images/build.sh --hash <name>     (prints the recipe hash only)
#
# The archive is <cache-dir>/<name>-<recipe hash>.tar: a changed recipe (any file in its folder,
# or this script) gets a new hash and is rebuilt; an unchanged one is reused. The TypeScript side
# (src/platform/kubernetes/node-images.ts) computes the same hash to find it.
#
# A recipe folder holds image.env (IMAGE_REF, and optionally DEBIAN_INCLUDE, ENTRYPOINT, USER,
# WORKDIR), optionally rootfs.sh (run as `rootfs.sh <rootfs-dir>` after mmdebstrap, or on an empty
# directory when DEBIAN_INCLUDE is unset) and a Containerfile that builds the same image with
# docker/buildah against a normal registry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hash_only=0; [ "${1:-}" != --hash ] || { hash_only=1; shift; }
name="${1:?usage: build.sh [--hash] <name> <cache-dir>}"
[ "$hash_only" = 1 ] || cache="${2:?usage: build.sh <name> <cache-dir>}"
recipe="$here/$name"
[ -f "$recipe/image.env" ] || { echo "image $name: no recipe at $recipe/image.env" >&2; exit 2; }

# The recipe hash: every file of the recipe and this builder, by path relative to deploy/images.
recipe_hash() {
  (cd "$here" && { echo build.sh; find "$name" -type f | LC_ALL=C sort; } | while read -r f; do
    printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
  done) | sha256sum | cut -c1-16
}
hash="$(recipe_hash)"
if [ "$hash_only" = 1 ]; then echo "$hash"; exit 0; fi
out="$cache/$name-$hash.tar"
if [ -f "$out" ]; then echo "image $name present ($out)"; exit 0; fi

IMAGE_REF="" DEBIAN_INCLUDE="" ENTRYPOINT="" USER="" WORKDIR=""
# shellcheck disable=SC1090,SC1091
. "$recipe/image.env"
[ -n "$IMAGE_REF" ] || { echo "image $name: image.env sets no IMAGE_REF" >&2; exit 2; }
tag="${IMAGE_REF##*:}"

work="$(mktemp -d "${TMPDIR:-/var/tmp}/firedrill-image-$name.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { echo "image $name: $1" >&2; }
failed() { echo "image $name: step \"$1\" failed; its log:" >&2; tail -n 30 "$work/log" >&2; exit 1; }
run() { local what=$1; shift; "$@" >>"$work/log" 2>&1 || failed "$what"; }

mkdir -p "$work/rootfs"
if [ -n "$DEBIAN_INCLUDE" ]; then
  step "root filesystem from Debian packages: $DEBIAN_INCLUDE"
  # --variant=apt: essential packages + apt, so maintainer scripts (users, directories) run.
  run "mmdebstrap (packages $DEBIAN_INCLUDE)" mmdebstrap --variant=apt --mode=root --format=directory \
    --include="$DEBIAN_INCLUDE" --aptopt='Acquire::Retries "3"' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    bookworm "$work/rootfs"
fi
if [ -x "$recipe/rootfs.sh" ]; then
  step "recipe step rootfs.sh"
  run "rootfs.sh" "$recipe/rootfs.sh" "$work/rootfs"
fi

step "OCI image $IMAGE_REF"
layout="$work/oci"
run "umoci init" umoci init --layout "$layout"
run "umoci new" umoci new --image "$layout:$tag"
run "umoci insert" umoci insert --image "$layout:$tag" "$work/rootfs" /
cfg=(--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if [ -n "$ENTRYPOINT" ]; then
  # ENTRYPOINT is a whitespace-separated argv (no quoting): one --config.entrypoint per word.
  for w in $ENTRYPOINT; do cfg+=(--config.entrypoint "$w"); done
fi
[ -z "$USER" ] || cfg+=(--config.user "$USER")
[ -z "$WORKDIR" ] || cfg+=(--config.workingdir "$WORKDIR")
run "umoci config" umoci config --image "$layout:$tag" "${cfg[@]}" \
  --config.label "io.firedrill.recipe-hash=$hash" --clear=config.cmd
run "umoci gc" umoci gc --layout "$layout"
mkdir -p "$cache"
run "tar" tar -C "$layout" -cf "$out.tmp" .
mv "$out.tmp" "$out"
# Archives of earlier versions of this recipe are never used again.
find "$cache" -maxdepth 1 -name "$name-*.tar" ! -name "$(basename "$out")" -delete
echo "image $name built: $out ($(du -h "$out" | cut -f1))"
