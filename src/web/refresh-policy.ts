/**
 * When to refresh, and how long to wait after a transient failure: pure functions of the
 * token's expiry, its lifetime and the clock, so the policy can be read and tested alone.
 */

/** The longest wait between early-refresh attempts while the identity provider fails. */
export const MAX_EARLY_RETRY_MS = 30_000;

/** Expiry facts of the current access token. */
export interface TokenTiming {
  /** When the access token expires, in epoch ms; undefined when the IdP did not say. */
  expiresAtMs: number | undefined;
  /** The token's own lifetime (`exp` - `iat` of a JWT) in ms, when known. */
  lifetimeMs: number | undefined;
}

/**
 * The leeway in force: `leewayMs`, or half the token's lifetime when the leeway is not
 * shorter than the lifetime (otherwise every call would refresh).
 */
export function effectiveLeewayMs(leewayMs: number, lifetimeMs: number | undefined): number {
  return lifetimeMs !== undefined && leewayMs >= lifetimeMs ? lifetimeMs / 2 : leewayMs;
}

/** True when the token expires within the leeway (never for a token without an expiry). */
export function refreshDue(t: TokenTiming, leewayMs: number, nowMs: number): boolean {
  if (t.expiresAtMs === undefined) return false;
  return t.expiresAtMs - nowMs <= effectiveLeewayMs(leewayMs, t.lifetimeMs);
}

/**
 * True while the token has not expired by the local clock. While a refresh fails
 * transiently, such a token is still sent: servers allow some clock skew (jose's
 * `clockTolerance`, Envoy's `clock_skew_seconds`), and one that rejects it answers
 * UNAUTHENTICATED, which the interceptor handles.
 */
export function stillUsable(t: TokenTiming, nowMs: number): boolean {
  return t.expiresAtMs !== undefined && t.expiresAtMs > nowMs;
}

/** Wait before the next early refresh after `failures` consecutive transient failures: 1 s, 2 s, 4 s … 30 s. */
export function earlyRetryDelayMs(failures: number): number {
  return Math.min(1000 * 2 ** Math.max(failures - 1, 0), MAX_EARLY_RETRY_MS);
}

/** OAuth errors from a refresh that end the session, and the reason they end it with. */
const ENDING_ERRORS = {
  invalid_grant: "invalid_grant",
  // A refreshed ID token for another subject (or issuer, or client): the IdP has already
  // rotated the refresh token, so the stored one is spent; the session cannot go on.
  invalid_id_token: "invalid_grant",
  login_required: "login_required",
  interaction_required: "login_required",
  consent_required: "login_required",
  account_selection_required: "login_required",
} as const;

/**
 * What a failed refresh means: the session is over (`ended`, with the reason), or the
 * failure is transient (`network` when the IdP was unreachable, else `idp-error`).
 */
export function classifyRefreshFailure(
  idpError: string | undefined,
  network: boolean,
):
  | { ended: (typeof ENDING_ERRORS)[keyof typeof ENDING_ERRORS] }
  | { transient: "network" | "idp-error" } {
  const ending =
    idpError !== undefined && Object.hasOwn(ENDING_ERRORS, idpError)
      ? ENDING_ERRORS[idpError as keyof typeof ENDING_ERRORS]
      : undefined;
  if (ending) return { ended: ending };
  return { transient: network ? "network" : "idp-error" };
}
