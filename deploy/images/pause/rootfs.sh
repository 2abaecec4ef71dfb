#!/usr/bin/env bash
# Compiles Kubernetes' pause.c from the k8s.io/kubernetes module the control plane is built from
# (already in the Go module cache after `go build`; downloaded from the Go module proxy otherwise).
set -euo pipefail
rootfs="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$here/../../local/versions.env"
src="$(cd "$here/../../local/k8s" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "k8s.io/kubernetes")"
[ -f "$src/build/pause/linux/pause.c" ] || { echo "pause.c not found in $src (k8s.io/kubernetes $KUBERNETES_VERSION)" >&2; exit 1; }
gcc -Os -static -Wall -Werror -DVERSION="\"3.10-firedrill\"" -o "$rootfs/pause" "$src/build/pause/linux/pause.c"
strip "$rootfs/pause"
