"""A foreign backend: demo.v1.NotesService and grpc.health.v1 in Python grpcio, on mutual TLS
(server certificate and client CA from the demo PKI; a client certificate is required).
Written for test/foreign/grpcio.test.ts, which puts the generated Envoy bundle in front of it.

Every call is one JSON line on stdout, {"event": "call", "method", "peer", "deadline_ms"}, so
the test can count what reached the backend and see the deadline it was given; the first
line is {"event": "listening", "port"}. It trusts the gateway for authorization (as a
backend behind it may), and reads claims from the forwarded token without verifying them.

usage: notes_server.py CERT KEY CLIENT_CA
"""

import base64
import json
import sys
import threading
import time
from concurrent import futures

import grpc

import protos

notes_pb2, notes_pb2_grpc, health_pb2, health_pb2_grpc = protos.load()
_lock = threading.Lock()


def log(**record):
    with _lock:
        print(json.dumps(record), flush=True)


def peer_identity(context):
    """The client certificate's first URI SAN (SPIFFE), else its first SAN, as gRPC saw it."""
    sans = [v.decode() for v in context.auth_context().get("x509_subject_alternative_name", [])]
    uris = [s for s in sans if "://" in s]
    return (uris or sans or [""])[0]


def called(context, method):
    remaining = context.time_remaining()
    log(
        event="call",
        method=method,
        peer=peer_identity(context),
        deadline_ms=None if remaining is None else int(remaining * 1000),
    )


def claims(context):
    for key, value in context.invocation_metadata():
        if key == "authorization" and value.lower().startswith("bearer "):
            payload = value.split(" ", 1)[1].split(".")[1]
            return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {}


class Notes(notes_pb2_grpc.NotesServiceServicer):
    def __init__(self):
        self.notes = []

    def WhoAmI(self, request, context):
        called(context, "WhoAmI")
        c = claims(context)
        return notes_pb2.WhoAmIResponse(
            subject=c.get("sub", ""),
            scopes=c.get("scope", "").split(),
            roles=c.get("roles", []),
            peer_identity=peer_identity(context),
        )

    def ListNotes(self, request, context):
        called(context, "ListNotes")
        return notes_pb2.ListNotesResponse(notes=self.notes)

    def GetNote(self, request, context):
        called(context, "GetNote")
        if request.id == "slow":
            # Outlives any short deadline; gRPC ends the call with DEADLINE_EXCEEDED.
            while context.is_active():
                time.sleep(0.05)
            log(event="ended", method="GetNote", active=False)
            return notes_pb2.GetNoteResponse()
        for n in self.notes:
            if n.id == request.id:
                return notes_pb2.GetNoteResponse(note=n)
        context.abort(grpc.StatusCode.NOT_FOUND, "note not found")

    def CreateNote(self, request, context):
        called(context, "CreateNote")
        note = notes_pb2.Note(id=str(len(self.notes) + 1), text=request.text)
        self.notes.append(note)
        return notes_pb2.CreateNoteResponse(note=note)

    def PurgeNotes(self, request, context):
        called(context, "PurgeNotes")
        deleted = len(self.notes)
        self.notes.clear()
        return notes_pb2.PurgeNotesResponse(deleted=deleted)

    def WatchNotes(self, request, context):
        called(context, "WatchNotes")
        for seq in range(1, (request.count or 10) + 1):
            if seq > 1:
                time.sleep(request.interval_ms / 1000)
            if not context.is_active():
                return
            yield notes_pb2.WatchNotesResponse(seq=seq)


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        called(context, "Health/Check")
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


def main():
    cert, key, client_ca = (open(p, "rb").read() for p in sys.argv[1:4])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    notes_pb2_grpc.add_NotesServiceServicer_to_server(Notes(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    credentials = grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=True
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    log(event="listening", port=port)
    # Ends when the test closes stdin (or kills the process).
    sys.stdin.read()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
