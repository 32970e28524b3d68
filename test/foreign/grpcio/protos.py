"""Compiles the demo protos with grpcio-tools at run time (nothing generated is committed)
and puts the generated modules on sys.path."""

import atexit
import importlib
import os
import shutil
import sys
import tempfile

from grpc_tools import protoc

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_FILES = ["demo/v1/notes.proto", "grpcweboidc/v1/access.proto"]


def load():
    """Returns (notes_pb2, notes_pb2_grpc, health_pb2, health_pb2_grpc)."""
    out = tempfile.mkdtemp(prefix="gwo-grpcio-")
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    # health.proto's own path (grpc/health/v1) would make a Python package `grpc`, which the
    # installed grpc hides: compile a copy as gwo_health/health.proto (same proto package).
    extra = os.path.join(out, "_src")
    os.makedirs(os.path.join(extra, "gwo_health"))
    shutil.copy(
        os.path.join(_ROOT, "proto", "grpc", "health", "v1", "health.proto"),
        os.path.join(extra, "gwo_health", "health.proto"),
    )
    args = [
        "grpc_tools.protoc",
        f"-I{os.path.join(_ROOT, 'proto')}",
        f"-I{extra}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        *[os.path.join(_ROOT, "proto", f) for f in _FILES],
        os.path.join(extra, "gwo_health", "health.proto"),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("grpc_tools.protoc failed on the demo protos")
    sys.path.insert(0, out)
    return (
        importlib.import_module("demo.v1.notes_pb2"),
        importlib.import_module("demo.v1.notes_pb2_grpc"),
        importlib.import_module("gwo_health.health_pb2"),
        importlib.import_module("gwo_health.health_pb2_grpc"),
    )
