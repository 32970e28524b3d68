/**
 * DPoP refusals: one error type whose `code` names the failed check (jose style), so
 * `switch (err.code)` works across package copies. The message never quotes the proof,
 * the access token or any claim.
 */
import type { DenialReason } from "../denial-log.js";

/** Why a DPoP proof was refused, one code per check of RFC 9449 §4.3 (plus limits). */
export type DpopErrorCode =
  /** §4.3 (1): no `DPoP` header on a request that needs one. */
  | "ERR_DPOP_PROOF_MISSING"
  /** §4.3 (1): more than one `DPoP` header. */
  | "ERR_DPOP_MULTIPLE_PROOFS"
  /** The header is longer than the configured cap (checked before any parsing). */
  | "ERR_DPOP_PROOF_TOO_LARGE"
  /** §4.3 (2): not a single compact JWS with JSON object header and payload. */
  | "ERR_DPOP_MALFORMED"
  /** §4.3 (3): a required claim (jti, htm, htu, iat, ath) is missing, of the wrong type or too long. */
  | "ERR_DPOP_CLAIM_INVALID"
  /** §4.3 (4): `typ` is not `dpop+jwt`. */
  | "ERR_DPOP_WRONG_TYPE"
  /** §4.3 (5): `alg` is none, symmetric, unknown or not on the allow-list. */
  | "ERR_DPOP_ALG_NOT_ALLOWED"
  /** §4.3 (6, 7): `jwk` missing, not a public asymmetric key, or carrying private members. */
  | "ERR_DPOP_JWK_INVALID"
  /** §4.3 (6): the signature does not verify with the `jwk` of the header. */
  | "ERR_DPOP_BAD_SIGNATURE"
  /** §4.3 (8): `htm` is not the request's method. */
  | "ERR_DPOP_HTM_MISMATCH"
  /** §4.3 (9): `htu` is not the configured public origin + the request's path. */
  | "ERR_DPOP_HTU_MISMATCH"
  /** §4.3 (10), §9: the server requires a nonce and the proof has none. */
  | "ERR_DPOP_NONCE_REQUIRED"
  /** §4.3 (10): the nonce is not one this server issued recently. */
  | "ERR_DPOP_NONCE_INVALID"
  /** §4.3 (11): `iat` is older than the accepted window. */
  | "ERR_DPOP_IAT_STALE"
  /** §4.3 (11): `iat` is further in the future than the clock tolerance. */
  | "ERR_DPOP_IAT_FUTURE"
  /** §4.3 (12): `ath` is not the hash of the presented access token. */
  | "ERR_DPOP_ATH_MISMATCH"
  /** §4.3 (12), §6: the access token is bound to another key (`cnf.jkt`). */
  | "ERR_DPOP_KEY_MISMATCH"
  /** §11.1: the `jti` was seen before within the window (a replayed proof). */
  | "ERR_DPOP_REPLAYED"
  /** The replay cache is full of live entries; refusing keeps replays impossible. */
  | "ERR_DPOP_REPLAY_CACHE_FULL";

/** The `error` of the `WWW-Authenticate: DPoP` challenge for a refusal (RFC 9449 §7.1, §9). */
export type DpopChallengeError = "invalid_dpop_proof" | "use_dpop_nonce";

const REASONS: Record<DpopErrorCode, DenialReason> = {
  ERR_DPOP_PROOF_MISSING: "dpop-proof-missing",
  ERR_DPOP_MULTIPLE_PROOFS: "dpop-multiple-proofs",
  ERR_DPOP_PROOF_TOO_LARGE: "dpop-proof-too-large",
  ERR_DPOP_MALFORMED: "dpop-malformed",
  ERR_DPOP_CLAIM_INVALID: "dpop-claim-invalid",
  ERR_DPOP_WRONG_TYPE: "dpop-wrong-type",
  ERR_DPOP_ALG_NOT_ALLOWED: "dpop-alg-not-allowed",
  ERR_DPOP_JWK_INVALID: "dpop-jwk-invalid",
  ERR_DPOP_BAD_SIGNATURE: "dpop-bad-signature",
  ERR_DPOP_HTM_MISMATCH: "dpop-htm-mismatch",
  ERR_DPOP_HTU_MISMATCH: "dpop-htu-mismatch",
  ERR_DPOP_NONCE_REQUIRED: "dpop-nonce-required",
  ERR_DPOP_NONCE_INVALID: "dpop-nonce-invalid",
  ERR_DPOP_IAT_STALE: "dpop-iat-stale",
  ERR_DPOP_IAT_FUTURE: "dpop-iat-future",
  ERR_DPOP_ATH_MISMATCH: "dpop-ath-mismatch",
  ERR_DPOP_KEY_MISMATCH: "dpop-key-mismatch",
  ERR_DPOP_REPLAYED: "dpop-replayed",
  ERR_DPOP_REPLAY_CACHE_FULL: "dpop-replay-cache-full",
};

/** Raised for every refused proof. `code` and `reason` are safe to log. */
export class DpopProofError extends Error {
  override name = "DpopProofError";
  /** The denial-log reason for this code. */
  readonly reason: DenialReason;
  /** What the `WWW-Authenticate: DPoP` challenge should say. */
  readonly challenge: DpopChallengeError;
  /**
   * True when the refusal is about the server's capacity, not the proof (the caller
   * may retry: UNAVAILABLE rather than UNAUTHENTICATED).
   */
  readonly retryable: boolean;
  constructor(readonly code: DpopErrorCode) {
    super(`DPoP proof rejected: ${code}`);
    this.reason = REASONS[code];
    this.challenge =
      code === "ERR_DPOP_NONCE_REQUIRED" || code === "ERR_DPOP_NONCE_INVALID"
        ? "use_dpop_nonce"
        : "invalid_dpop_proof";
    this.retryable = code === "ERR_DPOP_REPLAY_CACHE_FULL";
  }
}
