/**
 * Refused TLS handshakes as denial records that say why and from where. Node destroys a
 * socket whose client certificate fails verification before reporting the failure, so the
 * `tlsClientError` it emits reads `ECONNRESET` with no address. The verification result is
 * still on the TLS socket (`authorizationError`), and the address is read from the TCP socket
 * when the connection arrives.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type DenialSink, denialRecord, emitDenial } from "./denial-log.js";

/** Something that accepts TLS connections (tls.Server, Http2SecureServer). */
export interface HandshakeSource {
  on(event: "connection", listener: (socket: Socket) => void): unknown;
  on(
    event: "tlsClientError",
    listener: (err: Error & { code?: string }, socket: TLSSocket) => void,
  ): unknown;
}

/**
 * Emits one `handshake-failed` record per refused handshake: `peer` is the caller's
 * `address:port`, `detail` the reason in the TLS stack's words, a certificate verification
 * error (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, …) or an OpenSSL error
 * (`ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE`, or `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA` when the
 * caller did not trust us).
 */
export function logRefusedHandshakes(server: HandshakeSource, onDenied: DenialSink): void {
  const addresses = new WeakMap<object, string>();
  server.on("connection", (socket) => {
    if (socket.remoteAddress) addresses.set(socket, `${socket.remoteAddress}:${socket.remotePort}`);
  });
  server.on("tlsClientError", (err, socket) => {
    // The TLS socket wraps the TCP one (Node keeps it as `_parent`); once destroyed it has no
    // address of its own.
    const tcp = (socket as TLSSocket & { _parent?: object })._parent;
    const peer =
      (tcp && addresses.get(tcp)) ??
      addresses.get(socket) ??
      (socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : "unknown");
    // Typed as Error, set by Node as the verification error's code (a string).
    const verifyError = (socket as { authorizationError?: unknown }).authorizationError;
    const detail =
      typeof verifyError === "string" && verifyError
        ? verifyError
        : verifyError instanceof Error
          ? ((verifyError as Error & { code?: string }).code ?? verifyError.message)
          : (err.code ?? err.message);
    emitDenial(
      onDenied,
      denialRecord({
        layer: "tls",
        method: "",
        peer,
        reason: "handshake-failed",
        code: "connection-closed",
        detail,
      }),
    );
  });
}
