/**
 * Key-value stores for tokens and sign-in state: the `StateStore` shape oidc-client-ts uses
 * (so a store written for it plugs in), over Web Storage with a key prefix, or in memory.
 */

/** An asynchronous string store (the shape of oidc-client-ts's `StateStore`). */
export interface StateStore {
  set(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | null>;
  remove(key: string): Promise<string | null>;
  getAllKeys(): Promise<string[]>;
}

/**
 * A store over a `Storage` (localStorage, sessionStorage, or your own), keys prefixed
 * `oidc.` as oidc-client-ts's `WebStorageStateStore` does, so sessions it stored load.
 */
export function webStorageStore(storage: Storage, prefix = "oidc."): StateStore {
  return {
    async set(key, value) {
      storage.setItem(prefix + key, value);
    },
    async get(key) {
      return storage.getItem(prefix + key);
    },
    async remove(key) {
      const value = storage.getItem(prefix + key);
      storage.removeItem(prefix + key);
      return value;
    },
    async getAllKeys() {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(prefix)) keys.push(key.slice(prefix.length));
      }
      return keys;
    },
  };
}

/** A `Storage` in memory: gone on reload, seen by no other tab. */
export function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => void data.delete(key),
    setItem: (key, value) => void data.set(key, String(value)),
  };
}
