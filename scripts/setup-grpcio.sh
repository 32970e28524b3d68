#!/usr/bin/env bash
# Installs Python gRPC (PyPI grpcio, grpcio-tools) into a project-local virtual environment
# (.venv/grpcio) for the foreign-part tests (test/foreign/grpcio/): a grpcio backend behind
# the generated Envoy bundle and a grpcio client on the backend kit's mTLS port. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${GRPCIO_VERSION:-1.85.1}"
VENV=.venv/grpcio
if [ -x "$VENV/bin/python" ] &&
  "$VENV/bin/python" -m pip show grpcio 2>/dev/null | grep -q "^Version: $VERSION\$" &&
  "$VENV/bin/python" -m pip show grpcio-tools 2>/dev/null | grep -q "^Version: $VERSION\$"; then
  echo "grpcio $VERSION already installed in $VENV"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "grpcio==$VERSION" "grpcio-tools==$VERSION"
"$VENV/bin/python" -c "import grpc, grpc_tools; print('grpcio', grpc.__version__)"
