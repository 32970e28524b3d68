/**
 * Where `OidcTokenSource` keeps tokens and sign-in state, for each `storage` choice, and
 * whether tabs share them.
 */

import { StorageUnavailableError } from "./errors.js";
import { IndexedDbStore } from "./indexeddb-store.js";
import type { StorageLike } from "./tab-lock.js";
import { memoryStorage, type StateStore, webStorageStore as web } from "./web-store.js";

/** The `storage` option of `OidcTokenSource`. */
export type TokenStorageChoice = "memory" | "session" | "local" | Storage;

export interface TokenStorage {
  /** Where the signed-in user (with its tokens) lives. */
  userStore: StateStore;
  /** Where a sign-in in progress keeps its state (PKCE verifier) until the callback. */
  stateStore: StateStore;
  /** Other tabs see `userStore`: refresh must be coordinated between tabs. */
  shared: boolean;
  /** For the no-Web-Locks fallback lock of shared stores: a storage every tab sees. */
  leaseStorage: StorageLike | undefined;
}

export function resolveTokenStorage(choice: TokenStorageChoice): TokenStorage {
  const g = globalThis as {
    sessionStorage?: Storage;
    localStorage?: Storage;
    indexedDB?: IDBFactory;
  };
  if (typeof choice !== "string") {
    return { userStore: web(choice), stateStore: web(choice), shared: true, leaseStorage: choice };
  }
  if (choice === "memory") {
    const memory = memoryStorage();
    // Sign-in state must survive the redirect to the IdP and back: sessionStorage if any.
    return {
      userStore: web(memory),
      stateStore: web(g.sessionStorage ?? memory),
      shared: false,
      leaseStorage: undefined,
    };
  }
  const store = choice === "local" ? g.localStorage : g.sessionStorage;
  if (!store) throw new StorageUnavailableError(choice);
  if (choice === "session") {
    return {
      userStore: web(store),
      stateStore: web(store),
      shared: false,
      leaseStorage: undefined,
    };
  }
  return {
    // Tokens in IndexedDB, which every tab sees at once (see indexeddb-store.ts).
    userStore: g.indexedDB ? new IndexedDbStore({ legacy: store }) : web(store),
    stateStore: web(store),
    shared: true,
    leaseStorage: store,
  };
}
