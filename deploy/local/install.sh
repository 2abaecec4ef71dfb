#!/usr/bin/env bash
# Installs the real servers firedrill's local sandbox runs, from package registries only, into a
# cache outside the repository (~/.cache/firedrill/<name>-<version>). Idempotent: each step is
# skipped when its result is already there. Versions come from versions.env beside this file.
#
#   deploy/local/install.sh [--quiet] [--with k8s]
#
# --with k8s (or FIREDRILL_INSTALL_K8S=1) also builds the Kubernetes test control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, KWOK), the kube-score manifest linter and
# the real test node beside it (kubelet, kube-proxy, containerd, runc, CNI plugins, and its images
# from deploy/images): CI needs them, the local sandbox does not. It is the slowest step on a new machine (see "k8s" below).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
quiet=0; with_k8s="${FIREDRILL_INSTALL_K8S:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quiet) quiet=1 ;;
    --with) shift; [ "${1:-}" = k8s ] || { echo "setup: error: --with takes: k8s" >&2; exit 2; }; with_k8s=1 ;;
    --with=k8s) with_k8s=1 ;;
    *) echo "setup: error: unknown option $1 (usage: install.sh [--quiet] [--with k8s])" >&2; exit 2 ;;
  esac
  shift
done
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

# --- Long steps: alive while they run, timed for next time, and a failure that says what to do ----
# watched STEP FIX COMMAND...: the command's output goes to $cache/logs/STEP.log; meanwhile a
# heartbeat shows the elapsed time, the estimate from the last successful run of that step
# ($cache/durations/STEP), and the build's own progress (packages compiled and modules downloaded
# by `go … -v`, else the log's last line). A terminal gets one line redrawn every 2 s; a log a line
# a minute. On failure: the command, the log (its tail) and the likely FIX; then exit 1.
logs="$cache/logs"; durations="$cache/durations"
GO_FIX="check that the Go module proxy is reachable (GOPROXY; \`go env GOPROXY\`), that \`go version\` is at least the go line of the module's go.mod, and the free disk space under \$(go env GOCACHE)"
mmss() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
heartbeat() { # step elapsed log
  local last="" est="" built fetched what
  [ -f "$durations/$1" ] && last="$(cat "$durations/$1")"
  if [ -n "$last" ]; then
    if [ "$2" -lt "$last" ]; then est=" of ~$(mmss "$last") last time"; else est=" (last time $(mmss "$last"): taking longer)"; fi
  fi
  fetched="$(grep -c '^go: downloading ' "$3" 2>/dev/null || true)"
  built="$(grep -cE '^[a-z0-9_.-]+(\.[a-z]+)?/[^ ]+$|^[a-z0-9_]+$' "$3" 2>/dev/null || true)"
  if [ "${built:-0}" -gt 0 ] || [ "${fetched:-0}" -gt 0 ]; then
    what="${built:-0} packages compiled, ${fetched:-0} modules downloaded"
  else
    what="$(tail -n 1 "$3" 2>/dev/null | tr -d '\r' | cut -c1-70)"; what="${what:-no output yet}"
  fi
  echo "setup: $1: $(mmss "$2")$est · $what"
}
watched() { # step fix command...
  local step=$1 fix=$2; shift 2
  mkdir -p "$logs" "$durations"
  local log="$logs/$step.log" t0=$SECONDS n=0 rc=0 tty=0
  [ -t 1 ] && tty=1
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; n=$((n + 1))
    kill -0 "$pid" 2>/dev/null || break
    if [ "$tty" = 1 ] && [ $((n % 2)) = 0 ]; then printf '\r\033[2K%s' "$(heartbeat "$step" $((SECONDS - t0)) "$log")"
    elif [ "$tty" = 0 ] && [ $((n % 60)) = 0 ]; then heartbeat "$step" $((SECONDS - t0)) "$log"; fi
  done
  wait "$pid" || rc=$?
  [ "$tty" = 1 ] && printf '\r\033[2K'
  if [ "$rc" != 0 ]; then
    echo "setup: error: $step failed (exit $rc) after $(mmss $((SECONDS - t0)))" >&2
    echo "setup:   command: $*" >&2
    echo "setup:   log:     $log (last lines below)" >&2
    tail -n 15 "$log" | sed 's/^/setup:   | /' >&2
    echo "setup:   likely fix: $fix" >&2
    exit 1
  fi
  echo $((SECONDS - t0)) >"$durations/$step"
}

# --- Debian packages: PostgreSQL 15, Patroni, etcd, pgBackRest, Redis (and the tools tests use) -------
debian() { # package lists (default: the sandbox's and the tests')
  local missing=() wanted="${1:-$DEBIAN_PACKAGES $DEBIAN_TEST_PACKAGES}"
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "debian packages present"; return; fi
  need apt-get "firedrill's sandbox needs Debian packages (${missing[*]})"
  did "installing Debian packages: ${missing[*]}"
  local fix="check the machine's apt sources (/etc/apt/sources.list*) and that \`apt-get update\` works"
  watched apt-update "$fix" as_root apt-get update -qq
  watched apt-install "$fix; then run the same apt-get install by hand to see what it refuses" \
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The packages start system-wide services we do not want: the sandbox runs its own, on loopback.
  for svc in etcd patroni postgresql redis-server prometheus prometheus-node-exporter; do
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
go_install() { # name version module binary version [more packages of the same module...]
  local dir="$cache/$1-$2" name=$1 label=$2 version=$5 pkgs=("$3@$5") bins=("$4") extra b
  shift 5
  for extra in "$@"; do pkgs+=("$extra@$version"); bins+=("$(basename "$extra")"); done
  local missing=0; for b in "${bins[@]}"; do [ -x "$dir/bin/$b" ] || missing=1; done
  if [ "$missing" = 0 ]; then say "$name $label present"; return; fi
  need go "building $name needs the Go toolchain (install Go from the Debian or Go packages)"
  did "building $name $label with go install (a few minutes on a new machine)"
  rm -rf "$dir/bin.tmp"
  GOBIN="$dir/bin.tmp" GOFLAGS=-buildvcs=false watched "$name-$label" "$GO_FIX" nice -n 19 go install -v "${pkgs[@]}"
  rm -rf "$dir/bin"; mv "$dir/bin.tmp" "$dir/bin"
}

# --- Kafka broker jars from Maven Central --------------------------------------------------------
kafka() {
  local dir="$cache/kafka-$KAFKA_VERSION"
  if [ -f "$dir/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then say "kafka $KAFKA_VERSION present"; return; fi
  need java "Kafka brokers run on Java 17+ (install a JDK)"
  need mvn "Kafka's jars are resolved with Maven (install maven)"
  did "resolving Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$dir/libs.tmp"
  watched "kafka-$KAFKA_VERSION" "check that Maven Central is reachable from this machine (a proxy goes in ~/.m2/settings.xml) and that java -version is 17+" \
    mvn -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs.tmp"
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
  watched "milvus-$MILVUS_VERSION" "check that PyPI is reachable from this machine (pip's proxy: PIP_INDEX_URL or ~/.config/pip/pip.conf) and that python3 has venv and pip" \
    "$dir/bin/pip" install --progress-bar off "milvus==$MILVUS_VERSION"
}

# --- Kubernetes test control plane (only with --with k8s) ---------------------------------------
# Built from the Go module proxy through the wrapper modules beside this file: deploy/local/k8s
# (k8s.io/kubernetes with its staging modules mapped to their published versions; pin.sh writes
# it) and deploy/local/etcd (etcd's server module carries replace directives, so it cannot be
# `go install`ed either). The three Kubernetes commands are built by ONE `go build`, so the
# packages they share (most of them) compile once. Niced: other work shares this machine.
go_build() { # name version module-dir binaries... (packages given as name=import/path)
  local name=$1 version=$2 moddir=$3; shift 3
  local dir="$cache/$name-$version" missing=0 spec
  for spec in "$@"; do [ -x "$dir/bin/${spec%%=*}" ] || missing=1; done
  if [ "$missing" = 0 ]; then say "$name $version present"; return; fi
  need go "building $name needs the Go toolchain (install Go from the Debian or Go packages)"
  did "building $name $version with go build (the slowest step on a new machine)"
  rm -rf "$dir/bin.tmp"; mkdir -p "$dir/bin.tmp"
  local pkgs=() out="$dir/bin.tmp/"; for spec in "$@"; do pkgs+=("${spec#*=}"); done
  [ $# -gt 1 ] || out="$dir/bin.tmp/${1%%=*}"  # one package: name the binary (etcd's builds as "server")
  (cd "$moddir" && GOFLAGS="-buildvcs=false -mod=readonly" watched "$name-$version" "$GO_FIX" nice -n 19 go build -v -trimpath \
    -ldflags="-s -w ${GO_LDFLAGS_X:-}" -o "$out" "${pkgs[@]}")
  rm -rf "$dir/bin"; mv "$dir/bin.tmp" "$dir/bin"
}

pinned() { # go.mod requirement must match versions.env
  grep -qE "^(require )?[[:space:]]*$2 $3( |\$)" "$1/go.mod" \
    || fail "$1/go.mod does not require $2 $3 (versions.env): run deploy/local/k8s/pin.sh or edit it"
}

k8s() {
  # The node's images whose inputs the sandbox part already installed are built in the background
  # while the Go builds (CPU-bound, niced) run: image builds mostly wait on package downloads and
  # unpacking, so on a new machine this takes minutes off the wall time. The rest follow the builds.
  timed debian "$DEBIAN_NODE_PACKAGES"
  node_images early & local images_pid=$!
  pinned "$here/k8s" k8s.io/kubernetes "$KUBERNETES_VERSION"
  pinned "$here/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  local kv="${KUBERNETES_VERSION#v}" minor
  minor="$(echo "$kv" | cut -d. -f2)"
  local ldx="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  GO_LDFLAGS_X="$ldx" timed go_build kubernetes "$kv" "$here/k8s" \
    kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
    kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
    kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
  timed go_build etcd "${ETCD_VERSION#v}" "$here/etcd" etcd=go.etcd.io/etcd/server/v3
  timed go_install kwok "${KWOK_VERSION#v}" sigs.k8s.io/kwok/cmd/kwok kwok "$KWOK_VERSION"
  # The linter test/e2e/kube-score.test.ts runs over the manifests (no replace directives: go install).
  timed go_install kube-score "${KUBE_SCORE_VERSION#v}" github.com/zegl/kube-score/cmd/kube-score kube-score "$KUBE_SCORE_VERSION"
  k8s_node "$kv" "$ldx"
  node_images late
  wait "$images_pid" || fail "a node image could not be built (its log is above)"
}

# --- The real test node (with --with k8s): src/platform/kubernetes/test-node.ts runs it ---------
# kubelet and kube-proxy come from the control plane's wrapper module, but into their own folder:
# rebuilding the control plane's folder would rebuild (and briefly remove) binaries running tests use.
k8s_node() { # kubernetes-version version-ldflags
  GO_LDFLAGS_X="$2" timed go_build kubernetes-node "$1" "$here/k8s" \
    kubelet=k8s.io/kubernetes/cmd/kubelet \
    kube-proxy=k8s.io/kubernetes/cmd/kube-proxy
  local m=github.com/containerd/containerd/v2/cmd
  timed go_install containerd "${CONTAINERD_VERSION#v}" "$m/ctr" ctr "$CONTAINERD_VERSION" \
    "$m/containerd-shim-runc-v2" "$m/containerd"
  # Cluster DNS, statically linked (it runs alone in its image, deploy/images/coredns).
  pinned "$here/coredns" github.com/coredns/coredns "$COREDNS_VERSION"
  CGO_ENABLED=0 timed go_build coredns "${COREDNS_VERSION#v}" "$here/coredns" coredns=firedrill.local/coredns
}

# --- The node's images (deploy/images), built without a registry; each cached by recipe hash ----
# They reuse what the sandbox installed (Kafka's jars, MinIO's binary, Milvus's wheel); the Kafka
# image also carries Kafka's command-line tools, resolved here from Maven Central.
kafka_tools() {
  local dir="$cache/kafka-tools-$KAFKA_VERSION"
  if [ -f "$dir/libs/kafka-tools-$KAFKA_VERSION.jar" ]; then say "kafka tools $KAFKA_VERSION present"; return; fi
  need mvn "Kafka's tools are resolved with Maven (install maven)"
  did "resolving Kafka $KAFKA_VERSION tools from Maven Central"
  rm -rf "$dir/libs.tmp"
  mvn -q -B -f "$here/../images/kafka/tools-pom.xml" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs.tmp" || fail "mvn could not resolve Kafka $KAFKA_VERSION tools"
  mv "$dir/libs.tmp" "$dir/libs"
}

# Built from what the Go builds of this section make: pause (Kubernetes' module source), coredns.
LATE_IMAGES=" pause coredns "
node_images() { # early | late
  local image late
  if [ "$1" = early ]; then case " $NODE_IMAGES " in *" kafka "*) timed kafka_tools ;; esac; fi
  for image in $NODE_IMAGES; do
    case "$LATE_IMAGES" in *" $image "*) late=late ;; *) late=early ;; esac
    [ "$late" = "$1" ] || continue
    timed "$here/../images/build.sh" "$image" "$cache/images" || fail "image $image could not be built (its log is above)"
  done
}

t0=$SECONDS
timed debian
runas_user
timed go_install temporal "${TEMPORAL_CLI_VERSION#v}" github.com/temporalio/cli/cmd/temporal temporal "$TEMPORAL_CLI_VERSION"
minio_stamp="$(echo "$MINIO_VERSION" | cut -d- -f2)"
timed go_install minio "$minio_stamp" github.com/minio/minio minio "$MINIO_VERSION"
timed kafka
timed milvus
if [ "$with_k8s" = 1 ]; then k8s; else say "kubernetes test control plane not requested (--with k8s)"; fi
say "all present in $cache ($((SECONDS - t0)) s)"
