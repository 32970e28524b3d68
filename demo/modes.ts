/**
 * Which mode the demo runs in: `GWO_SESSION` and `GWO_DPOP` resolved together, in one place, so
 * `npm run demo` and the browser suite run the same defaults.
 *
 * - Token mode (the default) runs with DPoP on: the IdP binds the SPA client's tokens to the
 *   page's key and every call carries a proof. `GWO_DPOP=off` gives plain Bearer tokens.
 * - Session mode (`GWO_SESSION=bff`) has no DPoP: the browser holds no token to bind, and Envoy's
 *   oauth2 filter (the IdP's confidential client) sends no proofs; its refresh token is bound to
 *   the gateway by client authentication instead. An unset `GWO_DPOP` is therefore off there; an
 *   explicit `GWO_DPOP=on` with `GWO_SESSION=bff` asks for something that cannot happen and is
 *   refused rather than silently dropped.
 */

export interface DemoModes {
  /** Session mode (backend-for-frontend): the gateway holds the tokens. */
  readonly session: boolean;
  /** DPoP-bound tokens and a proof per call (token mode only). */
  readonly dpop: boolean;
}

/** `GWO_DPOP=on` together with `GWO_SESSION=bff`. */
export class ModeConflictError extends Error {
  override readonly name = "ModeConflictError";
}

/** DPoP in token mode unless asked otherwise. */
export const DEMO_DPOP_DEFAULT = true;

/**
 * Resolves the two switches. `undefined` means "not set" (the default applies).
 * @throws ModeConflictError for `{ session: true, dpop: true }`
 */
export function resolveModes(o: { session?: boolean; dpop?: boolean }): DemoModes {
  const session = o.session === true;
  if (session) {
    if (o.dpop === true) {
      throw new ModeConflictError(
        "DPoP binds the tokens the browser holds; in session mode (GWO_SESSION=bff) the browser " +
          "holds none and Envoy's oauth2 filter sends no proofs. Unset GWO_DPOP (or GWO_DPOP=off).",
      );
    }
    return { session, dpop: false };
  }
  return { session, dpop: o.dpop ?? DEMO_DPOP_DEFAULT };
}
