/**
 * DPoP verifiers whose public origin is known only once a listener is bound (the dev
 * listener on an ephemeral port) or once the gateway is up (its public origin): until
 * `setOrigin`, every proof fails the htu check, so nothing is accepted early.
 */
import {
  createDpopVerifier,
  DEFAULT_ALGORITHMS,
  DpopProofError,
  type DpopVerifier,
  type DpopVerifierOptions,
} from "../../src/server/index.js";

export interface DeferredDpopVerifier {
  readonly verifier: DpopVerifier;
  /** Starts verifying proofs against `origin` (scheme://host[:port]). */
  setOrigin(origin: string | readonly string[]): void;
}

export function deferredDpopVerifier(
  options: Omit<DpopVerifierOptions, "origin">,
): DeferredDpopVerifier {
  let inner: DpopVerifier | undefined;
  return {
    verifier: {
      algorithms: options.algorithms ?? DEFAULT_ALGORITHMS,
      currentNonce: () => options.nonces?.current(),
      verify: (request) =>
        inner ? inner.verify(request) : Promise.reject(new DpopProofError("ERR_DPOP_HTU_MISMATCH")),
    },
    setOrigin(origin) {
      inner = createDpopVerifier({ ...options, origin });
    },
  };
}
