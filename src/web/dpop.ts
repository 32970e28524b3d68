// The DPoP entry of grpc-web-oidc (`grpc-web-oidc/dpop`): DPoP is opt-in by import, so an app
// that does not bind its tokens ships none of this (the prover, the per-call interceptor and
// the IndexedDB key store). test/sdk/dpop-entry.test.ts pins that the main entry does not
// reach these modules.
//
//   import { dpop } from "grpc-web-oidc/dpop";
//   const tokens = new OidcTokenSource({ authority, clientId, redirectUri, dpop: dpop() });

import type { Interceptor } from "@connectrpc/connect";
import { dpopInterceptor } from "./dpop-interceptor.js";
import { createDpopProver } from "./dpop-prover.js";
import { done } from "./indexeddb-store.js";

export { type DpopInterceptorOptions, dpopInterceptor } from "./dpop-interceptor.js";

/** A client's DPoP key pair as kept in the store. */
export interface DpopState {
  keys: CryptoKeyPair;
}

/**
 * Where DPoP key pairs are kept, one per client id. oidc-client-ts's `IndexedDbDPoPStore`
 * has this shape, and the default store reads the same database, so keys it kept still work.
 */
export interface DpopStore {
  get(clientId: string): Promise<DpopState | undefined>;
  set(clientId: string, state: DpopState): Promise<void>;
  remove(clientId: string): Promise<unknown>;
}

/** What `OidcTokenSource`'s `dpop` option takes: made by {@link dpop}. */
export interface DpopSetup {
  /** Where the client's key pair is kept. */
  readonly store: DpopStore;
  /**
   * The RFC 7638 thumbprint of the client's key (`dpop_jkt`, binding the authorization code),
   * generating the key first when there is none.
   */
  jkt(clientId: string): Promise<string>;
  /** A proof for a token request (no `ath`), generating the key first when there is none. */
  tokenProof(clientId: string, htu: string, nonce: string | undefined): Promise<string>;
  /** The per-call proof interceptor for tokens bound to `keys`. */
  interceptor(keys: (accessToken: string) => Promise<CryptoKeyPair>): Interceptor;
}

/**
 * Key pairs in IndexedDB (database `oidc`, object store `dpop`, as oidc-client-ts keeps
 * them): structured clones of non-extractable keys, shared by the origin's tabs.
 */
export function indexedDbDpopStore(): DpopStore {
  const run = async <T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>) => {
    const open = indexedDB.open("oidc");
    open.onupgradeneeded = () => open.result.createObjectStore("dpop");
    const db = await done(open);
    try {
      return await done(op(db.transaction("dpop", mode).objectStore("dpop")));
    } finally {
      db.close();
    }
  };
  return {
    get: (clientId) => run("readonly", (s) => s.get(clientId) as IDBRequest<DpopState | undefined>),
    set: async (clientId, state) => void (await run("readwrite", (s) => s.put(state, clientId))),
    remove: (clientId) => run("readwrite", (s) => s.delete(clientId)),
  };
}

/**
 * DPoP for `OidcTokenSource`: keys are ECDSA P-256 with a non-extractable private key, kept
 * in IndexedDB (shared by the origin's tabs) unless `store` says otherwise.
 *
 * @example
 * new OidcTokenSource({ authority, clientId, redirectUri, dpop: dpop() })
 */
export function dpop(options: { store?: DpopStore } = {}): DpopSetup {
  const store = options.store ?? indexedDbDpopStore();
  const keys = async (clientId: string): Promise<CryptoKeyPair> => {
    const state = await store.get(clientId);
    if (state?.keys) return state.keys;
    const made = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
      "sign",
      "verify",
    ]);
    await store.set(clientId, { keys: made });
    return made;
  };
  return {
    store,
    jkt: async (clientId) => await createDpopProver(await keys(clientId)).thumbprint(),
    tokenProof: async (clientId, htu, nonce) =>
      await createDpopProver(await keys(clientId)).proof({
        htm: "POST",
        htu,
        ...(nonce === undefined ? {} : { nonce }),
      }),
    interceptor: (keys) => dpopInterceptor({ keys }),
  };
}
