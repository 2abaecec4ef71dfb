#!/usr/bin/env bash
# The Milvus server from the sandbox's PyPI install (never downloaded here), its milvus.yaml
# rendered from the package's template, and the milvus user (uid 1000) owning /var/lib/milvus.
set -euo pipefail
rootfs="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$here/../../local/versions.env"
ref="$(sed -n 's/^IMAGE_REF=//p' "$here/image.env")"
[ "${ref##*:}" = "$MILVUS_VERSION" ] || {
  echo "image.env tags Milvus ${ref##*:} but versions.env pins $MILVUS_VERSION: change IMAGE_REF's tag" >&2; exit 1; }
venv="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}/milvus-$MILVUS_VERSION"
[ -x "$venv/bin/python" ] || { echo "Milvus $MILVUS_VERSION not in $venv: run deploy/local/install.sh first" >&2; exit 1; }
pkg="$("$venv/bin/python" -c 'import milvus, os; print(os.path.dirname(milvus.__file__))')"
# The package ships the server xz-compressed; its own routine unpacks it (into the image only).
"$venv/bin/python" -c 'import sys, milvus; milvus._initialize_data_files(sys.argv[1])' "$rootfs/opt/milvus"
rm -f "$rootfs"/opt/milvus/bin/*.md5 "$rootfs"/opt/milvus/bin/*.lzma
install -d "$rootfs/opt/milvus/configs"
# Placeholders {{ key(type): default }}: the data paths point into the volume, the server log to
# stdout, every other one takes its default (what the package's launcher does).
data=/var/lib/milvus
sed -E \
  -e "s#\{\{ *etcd_data_dir *\}\}#$data/etcd.data#" \
  -e "s#\{\{ *local_storage_dir *\}\}#$data/data#" \
  -e "s#\{\{ *rocksmq_data_dir *\}\}#$data/rocksmq#" \
  -e "s#\{\{ *system_log_path *\}\}#\"\"#" \
  -e "s#\{\{ *etcd_log_path *:[^}]*\}\}#stdout#" \
  -e "s#\{\{ *etcd_log_level *:[^}]*\}\}#warn#" \
  -e 's#\{\{ *[a-z_]+(\([a-z]+\))? *: *([^}]*[^ }]) *\}\}#\2#' \
  "$pkg/data/config.yaml.template" >"$rootfs/opt/milvus/configs/milvus.yaml"
if grep -n '{{' "$rootfs/opt/milvus/configs/milvus.yaml" >&2; then echo "milvus.yaml: placeholders left (above)" >&2; exit 1; fi
cp "$pkg/data/glog.conf" "$rootfs/opt/milvus/configs/glog.conf"
install -m 0755 "$here/milvus-env" "$rootfs/usr/local/bin/milvus-env"
ln -sf /opt/milvus/bin/milvus "$rootfs/usr/local/bin/milvus"
groupadd --root "$rootfs" --gid 1000 milvus
useradd --root "$rootfs" --uid 1000 --gid 1000 --home-dir "$data" --no-create-home --shell /usr/sbin/nologin milvus
install -d -o 1000 -g 1000 "$rootfs$data" "$rootfs/opt/milvus/run"
