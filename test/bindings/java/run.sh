#!/usr/bin/env bash
# The Java package as a user gets it: the jar jsii-pacmak wrote to dist/java (a Maven repository),
# with aws-cdk-lib and JUnit from Maven Central, then a CDK app synthesized and asserted with JUnit.
# Maven's local repository is test/bindings/java/target/repository: nothing is read from or
# written to ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -d dist/java/io/github/cdk-cloudwatch-logs-s3-exporter ] \
  || { echo "no jar in dist/java: run 'npx projen package:java' first" >&2; exit 1; }
cd test/bindings/java
repo="$PWD/target/repository"
# Always the jar in dist/java, never one a previous run copied into the local repository.
rm -rf "$repo/io/github/cdk-cloudwatch-logs-s3-exporter"
mvn --batch-mode --no-transfer-progress -Dmaven.repo.local="$repo" test
