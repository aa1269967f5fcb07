#!/usr/bin/env bash
# The Go module as a user gets it: the module jsii-pacmak wrote to dist/go, used through a replace
# directive, with aws-cdk-go from the Go module proxy at the versions go.sum records, then a CDK
# app synthesized and asserted with `go test`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -f dist/go/cdkcloudwatchlogss3exporter/go.mod ] \
  || { echo "no Go module in dist/go: run 'npx projen package:go' first" >&2; exit 1; }
cd test/bindings/go
# -mod=readonly: a dependency that go.mod and go.sum do not record fails the run instead of being
# added on the fly (after a jsii or aws-cdk-lib upgrade: `go mod tidy` here, and commit go.sum).
go test -mod=readonly -count=1 ./...
