/**
 * `WWW-Authenticate` challenges for refusals where DPoP is accepted (RFC 9449 §7.1,
 * §7.2, §9): the scheme that was tried carries the error; without credentials no
 * error is given (RFC 6750 §3.1); `algs` tells the client which proof algorithms work.
 */

/** The `error` parameter: a bad token, a bad proof, or "retry with this nonce". */
export type ChallengeError =
  | "invalid_token"
  | "invalid_request"
  | "invalid_dpop_proof"
  | "use_dpop_nonce";

export interface ChallengeOptions {
  /** Proof algorithms accepted (the `algs` parameter). */
  algorithms: readonly string[];
  /** Whether unbound Bearer tokens are accepted too (then a Bearer challenge comes first). */
  bearer: boolean;
  /** The scheme the request used, if any, and what was wrong with it. */
  failed?: { scheme: "bearer" | "dpop"; error: ChallengeError };
}

/** The header value, e.g. `DPoP error="invalid_dpop_proof", algs="ES256 PS256"`. */
export function dpopChallenge(o: ChallengeOptions): string {
  const algs = `algs="${o.algorithms.join(" ")}"`;
  const dpopError = o.failed?.scheme === "dpop" ? `error="${o.failed.error}", ` : "";
  const dpop = `DPoP ${dpopError}${algs}`;
  if (!o.bearer) return dpop;
  const bearer = o.failed?.scheme === "bearer" ? `Bearer error="${o.failed.error}"` : "Bearer";
  return `${bearer}, ${dpop}`;
}
