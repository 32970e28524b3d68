/**
 * Structured records of refused calls and connections. A record holds what an operator
 * needs to see why a caller was refused — never a token, a header value or a claim set.
 */

/** Why a call or connection was refused; stable strings, safe to log and to alert on. */
export type DenialReason =
  // authentication
  | "no-credentials"
  | "multiple-authorization-headers"
  | "wrong-scheme"
  | "malformed-authorization"
  | "token-too-long"
  | "malformed-token"
  | "alg-not-allowed"
  | "unknown-key"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "missing-claim"
  | "invalid-claim"
  | "wrong-type"
  | "unsupported"
  | "jwks-unavailable"
  // a DPoP-bound token (`cnf.jkt`) presented as Bearer (RFC 9449 §7.2: no downgrade)
  | "token-bound-to-key"
  // DPoP proofs (RFC 9449 §4.3), one per DpopErrorCode
  | "dpop-proof-missing"
  | "dpop-multiple-proofs"
  | "dpop-proof-too-large"
  | "dpop-malformed"
  | "dpop-claim-invalid"
  | "dpop-wrong-type"
  | "dpop-alg-not-allowed"
  | "dpop-jwk-invalid"
  | "dpop-bad-signature"
  | "dpop-htm-mismatch"
  | "dpop-htu-mismatch"
  | "dpop-nonce-required"
  | "dpop-nonce-invalid"
  | "dpop-iat-stale"
  | "dpop-iat-future"
  | "dpop-ath-mismatch"
  | "dpop-key-mismatch"
  | "dpop-replayed"
  | "dpop-replay-cache-full"
  // authorization
  | "no-policy"
  | "missing-scope"
  | "missing-role"
  // limits
  | "too-many-streams"
  // transport
  | "peer-not-allowed"
  | "no-peer-certificate"
  | "handshake-failed";

/** One refusal. */
export interface DenialRecord {
  /** ISO-8601 time of the refusal. */
  readonly time: string;
  /** Always `denied`, so the records can be filtered from other log lines. */
  readonly event: "denied";
  /**
   * Which layer refused: `authn` (token), `authz` (policy), `limit` (a per-caller budget) or
   * `tls` (peer certificate).
   */
  readonly layer: "authn" | "authz" | "limit" | "tls";
  /** Request path, e.g. `/demo.v1.NotesService/GetNote`; empty for connection refusals. */
  readonly method: string;
  /** The mTLS peer identity when there is one, else the remote address, else empty. */
  readonly peer: string;
  readonly reason: DenialReason;
  /** gRPC status sent, e.g. `unauthenticated`; `connection-closed` for TLS refusals. */
  readonly code: string;
  /** The verified subject, for authorization and limit refusals only (it is known then). */
  readonly subject?: string;
  /**
   * For refused handshakes: why, in the TLS stack's words (`CERT_HAS_EXPIRED`,
   * `ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE`, …).
   */
  readonly detail?: string;
}

/** Receives denial records. Must not throw; errors in a sink are swallowed. */
export type DenialSink = (record: DenialRecord) => void;

/** Builds a record with the current time. */
export function denialRecord(fields: Omit<DenialRecord, "time" | "event">): DenialRecord {
  return { time: new Date().toISOString(), event: "denied", ...fields };
}

/** Calls `sink` and never lets it break the request that was refused. */
export function emitDenial(sink: DenialSink | undefined, record: DenialRecord): void {
  if (!sink) return;
  try {
    sink(record);
  } catch {
    // A logging failure must not turn a clean refusal into a crash.
  }
}

/** A sink writing one JSON line per record to a stream (default: stderr). */
export function jsonLineDenialSink(
  write: (line: string) => void = (line) => process.stderr.write(line),
): DenialSink {
  return (record) => write(`${JSON.stringify(record)}\n`);
}
