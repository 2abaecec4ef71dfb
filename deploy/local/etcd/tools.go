//go:build tools

// Package tools pins the etcd server this module builds for the Kubernetes test control plane
// (deploy/local/install.sh --with k8s). go.etcd.io/etcd/server/v3 cannot be `go install`ed (its
// go.mod has replace directives); as a dependency of this module its replace lines are ignored.
// Never compiled: the build tag keeps `go mod tidy` aware of it.
package tools

import _ "go.etcd.io/etcd/server/v3"
