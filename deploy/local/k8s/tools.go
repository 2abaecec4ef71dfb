//go:build tools

// Package tools pins the Kubernetes commands this module builds (see pin.sh and
// deploy/local/install.sh): the control plane, and the node agents (kubelet, kube-proxy) that
// the real test node runs. Never compiled: the build tag keeps `go mod tidy` aware of them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
