/**
 * The mTLS listener's connection gate: a client certificate verified against the
 * gateway CA is necessary (Node's `requestCert` + `rejectUnauthorized` do that in the
 * handshake) but not sufficient: its identity must also be on the allow-list. Peers
 * that fail are disconnected right after the handshake, before any HTTP/2 frame is read.
 */
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { DenialSink } from "./denial-log.js";
import { denialRecord, emitDenial } from "./denial-log.js";
import {
  type PeerAllowList,
  peerIdentityFromRequest,
  peerIdentityFromSocket,
} from "./peer-identity.js";

/** TLS server options for an mTLS listener: TLS 1.2+, client certificate required. */
export const MTLS_SERVER_OPTIONS = {
  minVersion: "TLSv1.2",
  requestCert: true,
  rejectUnauthorized: true,
  ALPNProtocols: ["h2"],
} as const;

/** Something that emits `secureConnection` (tls.Server, Http2SecureServer). */
export interface SecureConnectionSource {
  prependListener(event: "secureConnection", listener: (socket: TLSSocket) => void): unknown;
}

export interface PeerGateOptions {
  /** Identities admitted, e.g. `createPeerAllowList([GATEWAY_SPIFFE])`. */
  peers: PeerAllowList;
  /** Receives a record for every refused connection. @default undefined */
  onDenied?: DenialSink;
}

/** Installs the gate as the first `secureConnection` listener of `server`. */
export function enforcePeerAllowList(
  server: SecureConnectionSource,
  options: PeerGateOptions,
): void {
  server.prependListener("secureConnection", (socket) => {
    const identity = peerIdentityFromSocket(socket);
    if (options.peers.match(identity)) return;
    emitDenial(
      options.onDenied,
      denialRecord({
        layer: "tls",
        method: "",
        peer: identity?.id ?? `${socket.remoteAddress ?? ""}:${socket.remotePort ?? 0}`,
        reason: identity ? "peer-not-allowed" : "no-peer-certificate",
        code: "connection-closed",
      }),
    );
    socket.destroy();
  });
}

type Handler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/**
 * Defense in depth behind {@link enforcePeerAllowList}: answers every request from a
 * peer not on the list with a trailers-only PERMISSION_DENIED, so a gate that was not
 * installed (or a connection that slipped past it) still reaches no handler.
 */
export function requireAllowedPeer(handler: Handler, peers: PeerAllowList): Handler {
  return (req, res) => {
    if (peers.match(peerIdentityFromRequest(req))) {
      handler(req, res);
      return;
    }
    // Trailers-only response: one HEADERS frame with END_STREAM.
    res.stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "7",
        "grpc-message": "peer not allowed",
      },
      { endStream: true },
    );
  };
}
