// CoreDNS with only the plugins the real test node's cluster DNS uses (see
// src/platform/kubernetes/test-dns.ts for its Corefile): Service and pod names from the API server,
// a cache, health and readiness, and a template that answers every other name NXDOMAIN here.
// The forward plugin is left out on purpose: this DNS server cannot send a query off the machine,
// whatever its Corefile says. Built by deploy/local/install.sh --with k8s; fewer plugins than the
// upstream binary also means fewer modules to compile (no cloud SDKs) and a smaller image.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/template"
)

func main() {
	coremain.Run()
}
