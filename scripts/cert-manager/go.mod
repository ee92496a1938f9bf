// cert-manager, pinned for its CustomResourceDefinitions only: the end-to-end suite installs
// deploy/crds/cert-manager.io_*.yaml of this module (fetched by `go mod download`, checked against
// go.sum) so that deploy/certificates.yaml is validated by the API server. No Go code imports it, so
// `go mod tidy` would drop the requirement: do not tidy this module.
module github.com/wasmgate/wasmgate/scripts/cert-manager

go 1.26.0

require github.com/cert-manager/cert-manager v1.21.2
