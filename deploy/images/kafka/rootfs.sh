#!/usr/bin/env bash
# Kafka's jars from the sandbox's cache and its tools from install.sh's (never downloaded here),
# the kafka-kraft entrypoint, a log4j2 console configuration, and the kafka user (uid 1000, as in
# apache/kafka) owning the data directory.
set -euo pipefail
rootfs="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$here/../../local/versions.env"
ref="$(sed -n 's/^IMAGE_REF=//p' "$here/image.env")"
[ "${ref##*:}" = "$KAFKA_VERSION" ] || {
  echo "image.env tags Kafka ${ref##*:} but versions.env pins $KAFKA_VERSION: change IMAGE_REF's tag" >&2; exit 1; }
libs="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}/kafka-$KAFKA_VERSION/libs"
[ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] || {
  echo "Kafka $KAFKA_VERSION jars not in $libs: run deploy/local/install.sh first (it resolves them)" >&2; exit 1; }
tools="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}/kafka-tools-$KAFKA_VERSION/libs"
[ -f "$tools/kafka-tools-$KAFKA_VERSION.jar" ] || {
  echo "Kafka $KAFKA_VERSION tools not in $tools: run deploy/local/install.sh --with k8s (it resolves them)" >&2; exit 1; }
install -d "$rootfs/opt/kafka/libs" "$rootfs/opt/kafka/tools-libs" "$rootfs/opt/kafka/config" "$rootfs/opt/kafka/bin" "$rootfs/etc/kafka/docker"
cp "$libs"/*.jar "$rootfs/opt/kafka/libs/"
cp "$tools"/*.jar "$rootfs/opt/kafka/tools-libs/"
install -m 0755 "$here/kafka-topics.sh" "$rootfs/opt/kafka/bin/kafka-topics.sh"
install -m 0755 "$here/kafka-kraft" "$rootfs/etc/kafka/docker/run"
install -m 0644 "$here/log4j2.properties" "$rootfs/opt/kafka/config/log4j2.properties"
groupadd --root "$rootfs" --gid 1000 kafka
useradd --root "$rootfs" --uid 1000 --gid 1000 --home-dir /opt/kafka --no-create-home --shell /usr/sbin/nologin kafka
install -d -o 1000 -g 1000 "$rootfs/var/lib/kafka/data" "$rootfs/opt/kafka/run"
