#!/usr/bin/env bash
# Copies the CoreDNS binary install.sh built (COREDNS_VERSION in versions.env) into the empty root
# filesystem, after checking it is that version and statically linked (no libc in this image).
set -euo pipefail
rootfs="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$here/../../local/versions.env"
want="${COREDNS_VERSION#v}"
tag="$(sed -n 's/^IMAGE_REF=.*://p' "$here/image.env")"
[ "$tag" = "$want" ] || { echo "image.env tags $tag but versions.env pins CoreDNS $want" >&2; exit 1; }
bin="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}/coredns-$want/bin/coredns"
[ -x "$bin" ] || { echo "$bin is missing: install.sh --with k8s builds it before the images" >&2; exit 1; }
"$bin" -version | grep -q "CoreDNS-$want" || { echo "$bin is not CoreDNS $want" >&2; exit 1; }
if ldd "$bin" >/dev/null 2>&1; then echo "$bin is dynamically linked (build it with CGO_ENABLED=0)" >&2; exit 1; fi
install -m 0755 "$bin" "$rootfs/coredns"
# CoreDNS writes nothing; /tmp for Go's runtime, should anything ask.
install -d -m 1777 "$rootfs/tmp"
