// The DPoP entry of grpc-web-oidc (`grpc-web-oidc/dpop`): DPoP is opt-in by import, so an app
// that does not bind its tokens ships none of this (the prover, the per-call interceptor and
// oidc-client-ts's IndexedDB key store). test/sdk/dpop-entry.test.ts pins that the main entry
// does not reach these modules.
//
//   import { dpop } from "grpc-web-oidc/dpop";
//   const tokens = new OidcTokenSource({ authority, clientId, redirectUri, dpop: dpop() });

import type { Interceptor } from "@connectrpc/connect";
import { DPoPState, IndexedDbDPoPStore, type OidcClientSettings } from "oidc-client-ts";
import { dpopInterceptor } from "./dpop-interceptor.js";
import { createDpopProver } from "./dpop-prover.js";

export { type DpopInterceptorOptions, dpopInterceptor } from "./dpop-interceptor.js";

/** Where oidc-client-ts keeps DPoP key pairs, one per client id. */
export type DpopStore = NonNullable<OidcClientSettings["dpop"]>["store"];

/** What `OidcTokenSource`'s `dpop` option takes: made by {@link dpop}. */
export interface DpopSetup {
  /** The key store oidc-client-ts proves from at the token endpoint. */
  readonly store: DpopStore;
  /**
   * The RFC 7638 thumbprint of the client's key (`dpop_jkt`, binding the authorization code),
   * generating the key first when there is none.
   */
  jkt(clientId: string): Promise<string>;
  /** The per-call proof interceptor for tokens bound to `keys`. */
  interceptor(keys: (accessToken: string) => Promise<CryptoKeyPair>): Interceptor;
}

/**
 * DPoP for `OidcTokenSource`: keys are ECDSA P-256 with a non-extractable private key, kept
 * in IndexedDB (oidc-client-ts's `IndexedDbDPoPStore`, shared by the origin's tabs) unless
 * `store` says otherwise.
 *
 * @example
 * new OidcTokenSource({ authority, clientId, redirectUri, dpop: dpop() })
 */
export function dpop(options: { store?: DpopStore } = {}): DpopSetup {
  const store = options.store ?? new IndexedDbDPoPStore();
  return {
    store,
    async jkt(clientId) {
      let state: DPoPState | undefined = await store.get(clientId);
      if (!state?.keys) {
        // As oidc-client-ts's UserManager does before a code-bound sign-in.
        const keys = await crypto.subtle.generateKey(
          { name: "ECDSA", namedCurve: "P-256" },
          false,
          ["sign", "verify"],
        );
        state = new DPoPState(keys);
        await store.set(clientId, state);
      }
      return await createDpopProver(state.keys).thumbprint();
    },
    interceptor: (keys) => dpopInterceptor({ keys }),
  };
}
