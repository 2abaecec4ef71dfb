#!/usr/bin/env bash
# Installs the real servers firedrill's local sandbox runs, from package registries only, into a
# cache outside the repository (~/.cache/firedrill/<name>-<version>). Idempotent: each step is
# skipped when its result is already there. Versions come from versions.env beside this file.
#
#   deploy/local/install.sh [--quiet]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
# shellcheck disable=SC1091
set -a; . "$here/versions.env"; set +a
cache="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}"
mkdir -p "$cache"

say()  { [ "$quiet" = 1 ] || echo "setup: $*"; }
did()  { echo "setup: $*"; }
fail() { echo "setup: error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is missing: $2"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else fail "need root for: $*"; fi; }
timed() { local t0=$SECONDS; "$@"; [ $((SECONDS - t0)) -lt 2 ] || did "${2:-$1} done in $((SECONDS - t0)) s"; }

# --- Debian packages: PostgreSQL 15, Patroni, etcd, pgBackRest (and the tools tests use) -------
debian() {
  local missing=()
  for p in $DEBIAN_PACKAGES $DEBIAN_TEST_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "debian packages present"; return; fi
  need apt-get "firedrill's sandbox needs Debian packages (${missing[*]})"
  did "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start system-wide services we do not want: the sandbox runs its own, on loopback.
  for svc in etcd patroni postgresql prometheus prometheus-node-exporter; do
    as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
}

# --- The unprivileged account PostgreSQL runs as when firedrill runs as root -------------------
runas_user() {
  [ "$(id -u)" = 0 ] || { say "not root: servers run as $(id -un)"; return; }
  if id "${FIREDRILL_RUN_AS:-firedrill}" >/dev/null 2>&1; then say "user ${FIREDRILL_RUN_AS:-firedrill} present"; return; fi
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "${FIREDRILL_RUN_AS:-firedrill}"
  did "created system user ${FIREDRILL_RUN_AS:-firedrill} (PostgreSQL refuses to run as root)"
}

# --- Go-built servers: Temporal CLI dev server, MinIO -------------------------------------------
go_install() { # name version module binary
  local dir="$cache/$1-$2"
  if [ -x "$dir/bin/$4" ]; then say "$1 $2 present"; return; fi
  need go "building $1 needs the Go toolchain (install Go from the Debian or Go packages)"
  did "building $1 $2 with go install (a few minutes on a new machine)"
  GOBIN="$dir/bin.tmp" GOFLAGS=-buildvcs=false go install "$3@$5" || fail "go install $3@$5 failed"
  mv "$dir/bin.tmp" "$dir/bin"
}

# --- Kafka broker jars from Maven Central --------------------------------------------------------
kafka() {
  local dir="$cache/kafka-$KAFKA_VERSION"
  if [ -f "$dir/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then say "kafka $KAFKA_VERSION present"; return; fi
  need java "Kafka brokers run on Java 17+ (install a JDK)"
  need mvn "Kafka's jars are resolved with Maven (install maven)"
  did "resolving Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$dir/libs.tmp"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs.tmp" || fail "mvn could not resolve Kafka $KAFKA_VERSION"
  mv "$dir/libs.tmp" "$dir/libs"
}

# --- Milvus standalone, embedded in the PyPI package "milvus" -----------------------------------
milvus() {
  local dir="$cache/milvus-$MILVUS_VERSION"
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import milvus" 2>/dev/null; then say "milvus $MILVUS_VERSION present"; return; fi
  need python3 "Milvus is installed from PyPI into a virtualenv (install python3 and python3-venv)"
  did "installing Milvus $MILVUS_VERSION into $dir"
  rm -rf "$dir"
  python3 -m venv "$dir" || fail "python3 -m venv failed (install python3-venv)"
  "$dir/bin/pip" install -q "milvus==$MILVUS_VERSION" || fail "pip could not install milvus==$MILVUS_VERSION"
}

t0=$SECONDS
timed debian
runas_user
timed go_install temporal "${TEMPORAL_CLI_VERSION#v}" github.com/temporalio/cli/cmd/temporal temporal "$TEMPORAL_CLI_VERSION"
minio_stamp="$(echo "$MINIO_VERSION" | cut -d- -f2)"
timed go_install minio "$minio_stamp" github.com/minio/minio minio "$MINIO_VERSION"
timed kafka
timed milvus
say "all present in $cache ($((SECONDS - t0)) s)"
