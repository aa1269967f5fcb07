#!/usr/bin/env bash
# The examples as a user's app builds them: the npm package from dist/js, installed with the
# oldest aws-cdk-lib it supports (its peer dependency) and with the newest 2.x from the npm
# registry, each app synthesized; fails when this library calls an API aws-cdk-lib deprecates.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgz=$(ls dist/js/*.tgz 2>/dev/null | head -n 1 || true)
[ -n "$tgz" ] || { echo "no package in dist/js: run 'npx projen package:js' first" >&2; exit 1; }
oldest=$(node -p "require('./package.json').peerDependencies['aws-cdk-lib'].replace(/^\\^/, '')")
newest=$(npm view 'aws-cdk-lib@^2' version --json | node -e "
  const key = (v) => v.split('.').map(Number);
  const newer = (a, b) => { const [x, y] = [key(a), key(b)]; const i = x.findIndex((n, j) => n !== y[j]); return i >= 0 && x[i] > y[i]; };
  console.log([].concat(JSON.parse(require('fs').readFileSync(0, 'utf8'))).filter((v) => !v.includes('-')).reduce((a, b) => (newer(b, a) ? b : a)));")
constructs=$(node -p "require('./package.json').peerDependencies.constructs")
for version in "$oldest" "$newest"; do
  dir=.compat/aws-cdk-lib-$version
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{ "private": true }' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$PWD/$tgz" "aws-cdk-lib@$version" "constructs@$constructs"
  for f in app.ts many-accounts.ts; do
    sed "s#from '../src'#from 'cdk-cloudwatch-logs-s3-exporter'#" "examples/$f" > "$dir/$f"
  done
  sed "s#'../../examples/#'./#" test/compat/synth.ts > "$dir/synth.ts"
  (cd "$dir" && "$OLDPWD/node_modules/.bin/ts-node" --transpile-only --skip-project --compiler-options '{"module":"commonjs","esModuleInterop":true}' synth.ts)
done
