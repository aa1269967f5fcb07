#!/usr/bin/env bash
# The Python package as a user gets it: the wheel jsii-pacmak wrote to dist/python, installed with
# aws-cdk-lib from PyPI into a fresh virtual environment, then a CDK app synthesized and asserted.
set -euo pipefail
cd "$(dirname "$0")/../../.."
wheel=$(ls dist/python/*.whl 2>/dev/null | head -n 1 || true)
[ -n "$wheel" ] || { echo "no wheel in dist/python: run 'npx projen package:python' first" >&2; exit 1; }
venv=.venv/python-consumer
rm -rf "$venv"
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" 'aws-cdk-lib==2.240.0' 'pytest==8.4.2'
"$venv/bin/python" -m pytest -q -p no:cacheprovider test/bindings/python
