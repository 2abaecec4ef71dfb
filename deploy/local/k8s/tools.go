//go:build tools

// Package tools pins the control-plane commands this module builds (see pin.sh and
// deploy/local/install.sh). Never compiled: the build tag keeps `go mod tidy` aware of them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
