"""A foreign client: Python grpcio calling a NotesService over TLS, optionally with a client
certificate. Reads a JSON plan on stdin and prints one JSON line with every result, for
test/foreign/grpcio.test.ts.

plan: {"target": "127.0.0.1:PORT", "server_name": "...", "ca": PATH, "cert": PATH|null,
       "key": PATH|null, "calls": [{"name", "method", "token"?, "timeout_s"?, "request"?}]}
method: one of NotesService's ("WhoAmI", "WatchNotes", ...), "Health/Check", or any
"/pkg.Service/Method" path (sent with an empty request).
result: {"name", "code" (grpc status name), "message", "messages", "response"}
"""

import json
import sys

import grpc
from google.protobuf import json_format

import protos

notes_pb2, notes_pb2_grpc, health_pb2, health_pb2_grpc = protos.load()


def call(channel, c):
    metadata = [("authorization", f"Bearer {c['token']}")] if c.get("token") else []
    timeout = c.get("timeout_s")
    method = c["method"]
    messages = 0
    response = None
    try:
        if method == "Health/Check":
            stub = health_pb2_grpc.HealthStub(channel)
            res = stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout, metadata=metadata)
            response = json_format.MessageToDict(res)
            messages = 1
        elif method.startswith("/"):
            raw = channel.unary_unary(method, lambda m: m, lambda b: b)
            raw(b"", timeout=timeout, metadata=metadata)
            messages = 1
        else:
            stub = notes_pb2_grpc.NotesServiceStub(channel)
            req_type = getattr(notes_pb2, f"{method}Request")
            request = json_format.ParseDict(c.get("request", {}), req_type())
            if method == "WatchNotes":
                for _ in stub.WatchNotes(request, timeout=timeout, metadata=metadata):
                    messages += 1
            else:
                res = getattr(stub, method)(request, timeout=timeout, metadata=metadata)
                response = json_format.MessageToDict(res)
                messages = 1
        return {"name": c["name"], "code": "OK", "message": "", "messages": messages, "response": response}
    except grpc.RpcError as e:
        return {
            "name": c["name"],
            "code": e.code().name,
            "message": e.details() or "",
            "messages": messages,
            "response": response,
        }


def main():
    plan = json.load(sys.stdin)
    read = lambda p: open(p, "rb").read() if p else None  # noqa: E731
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(plan["ca"]),
        private_key=read(plan.get("key")),
        certificate_chain=read(plan.get("cert")),
    )
    options = [("grpc.ssl_target_name_override", plan["server_name"])]
    with grpc.secure_channel(plan["target"], credentials, options=options) as channel:
        print(json.dumps([call(channel, c) for c in plan["calls"]]), flush=True)


if __name__ == "__main__":
    main()
