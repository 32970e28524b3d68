/**
 * A `StateStore` in IndexedDB, for tokens that every tab of the origin shares.
 *
 * Why not `localStorage`: Chromium does not synchronise `localStorage` between tab processes at
 * once. A tab that takes the refresh lock 1 ms after another released it can still read the
 * refresh token the other tab just spent, and present it again (measured: 6-10 reuses per 100
 * forced-refresh rounds). An IndexedDB transaction that starts after another tab's write
 * transaction has completed sees that write, in every browser: the database lives in one place
 * per origin, not in a copy per tab. So `set` resolves only when its transaction has
 * committed, and the refresher releases the lock after that.
 *
 * Where IndexedDB cannot be opened (disabled by policy, some private modes), the store falls
 * back to `localStorage` (best effort across tabs, as before). A session kept in
 * `localStorage` by an earlier version (`oidc.<key>`) moves here on first read.
 */

import { type StateStore, webStorageStore } from "./web-store.js";

const STORE = "entries";

/** Options of {@link IndexedDbStore}. */
export interface IndexedDbStoreOptions {
  /**
   * The database name.
   *
   * @default "grpc-web-oidc"
   */
  database?: string;
  /**
   * Where entries of earlier versions are read from (key `oidc.<key>`, moved here on first
   * read), and where entries go when IndexedDB cannot be opened.
   *
   * @default globalThis.localStorage
   */
  legacy?: Storage;
}

/** An IndexedDB request as a promise. */
export function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException("transaction aborted", "AbortError"));
  });
}

export class IndexedDbStore implements StateStore {
  readonly #database: string;
  readonly #legacy: StateStore | undefined;
  #db: Promise<IDBDatabase | undefined> | undefined;

  constructor(options: IndexedDbStoreOptions = {}) {
    this.#database = options.database ?? "grpc-web-oidc";
    const legacy = options.legacy ?? (globalThis as { localStorage?: Storage }).localStorage;
    this.#legacy = legacy ? webStorageStore(legacy) : undefined;
  }

  /** The open database, or undefined when IndexedDB cannot be used here. */
  #open(): Promise<IDBDatabase | undefined> {
    this.#db ??= (async () => {
      try {
        const request = indexedDB.open(this.#database, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE);
        const db = await done(request);
        // Another tab upgrading, or the browser clearing site data: reopen on next use.
        const forget = () => {
          db.close();
          this.#db = undefined;
        };
        db.onversionchange = forget;
        db.onclose = forget;
        return db;
      } catch {
        return undefined;
      }
    })();
    return this.#db;
  }

  async #fallback(): Promise<StateStore> {
    if (!this.#legacy)
      throw new DOMException("neither IndexedDB nor localStorage", "NotFoundError");
    return this.#legacy;
  }

  async set(key: string, value: string): Promise<void> {
    const db = await this.#open();
    if (!db) return (await this.#fallback()).set(key, value);
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value, key);
    await committed(tx);
  }

  async get(key: string): Promise<string | null> {
    const db = await this.#open();
    if (!db) return (await this.#fallback()).get(key);
    const tx = db.transaction(STORE, "readonly");
    const value = await done(tx.objectStore(STORE).get(key));
    if (typeof value === "string") return value;
    return await this.#migrate(db, key);
  }

  async remove(key: string): Promise<string | null> {
    const db = await this.#open();
    if (!db) return (await this.#fallback()).remove(key);
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    const before = await done(store.get(key));
    store.delete(key);
    await committed(tx);
    // An entry of an earlier version must not come back on the next read.
    await this.#legacy?.remove(key);
    return typeof before === "string" ? before : null;
  }

  async getAllKeys(): Promise<string[]> {
    const db = await this.#open();
    if (!db) return (await this.#fallback()).getAllKeys();
    const keys = await done(db.transaction(STORE, "readonly").objectStore(STORE).getAllKeys());
    return keys.filter((k): k is string => typeof k === "string");
  }

  /** Move an entry an earlier version kept in localStorage into the database. */
  async #migrate(db: IDBDatabase, key: string): Promise<string | null> {
    const value = (await this.#legacy?.get(key)) ?? null;
    if (value === null) return null;
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    // Another tab may have moved it, or refreshed since: the database wins.
    const current = await done(store.get(key));
    if (typeof current !== "string") store.put(value, key);
    await committed(tx);
    await this.#legacy?.remove(key);
    return typeof current === "string" ? current : value;
  }
}
