#!/usr/bin/env bash
# Drops the "main" cluster Debian's postinst creates (Patroni bootstraps its own data directory),
# renumbers postgres to uid/gid 1000 and hands it its directories, and points bin_dir users at the
# server binaries through a stable path.
set -euo pipefail
rootfs="$1"
rm -rf "$rootfs/var/lib/postgresql/15/main" "$rootfs/etc/postgresql/15/main"
old_uid="$(chroot "$rootfs" id -u postgres)"; old_gid="$(chroot "$rootfs" id -g postgres)"
groupmod --root "$rootfs" --gid 1000 postgres
usermod --root "$rootfs" --uid 1000 --gid 1000 postgres
# Files the packages gave the old ids (data, logs, run and backup directories).
find "$rootfs" -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h 1000:1000 {} +
install -d -o 1000 -g 1000 -m 0700 "$rootfs/var/lib/postgresql/data"
install -d -o 1000 -g 1000 "$rootfs/var/run/postgresql" "$rootfs/var/lib/pgbackrest" "$rootfs/var/log/pgbackrest" "$rootfs/etc/patroni"
