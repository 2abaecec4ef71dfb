#!/usr/bin/env bash
# The go-installed MinIO binary from the sandbox's cache (never downloaded here) and the minio
# user (uid 1000) owning /data.
set -euo pipefail
rootfs="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$here/../../local/versions.env"
stamp="$(echo "$MINIO_VERSION" | cut -d- -f2)"
ref="$(sed -n 's/^IMAGE_REF=//p' "$here/image.env")"
[ "${ref##*:}" = "$stamp" ] || {
  echo "image.env tags MinIO ${ref##*:} but versions.env pins $MINIO_VERSION: change IMAGE_REF's tag to $stamp" >&2; exit 1; }
bin="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}/minio-$stamp/bin/minio"
[ -x "$bin" ] || { echo "MinIO not in $bin: run deploy/local/install.sh first (it builds it)" >&2; exit 1; }
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/minio"
groupadd --root "$rootfs" --gid 1000 minio
useradd --root "$rootfs" --uid 1000 --gid 1000 --home-dir /data --no-create-home --shell /usr/sbin/nologin minio
install -d -o 1000 -g 1000 "$rootfs/data"
