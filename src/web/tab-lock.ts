/**
 * Cross-tab mutual exclusion for token refresh.
 *
 * Preferred: the Web Locks API (`navigator.locks`), which the browser releases when a tab
 * closes or crashes. Where it is missing (old browsers), tabs that share `localStorage`
 * coordinate through a lease key in that storage: best effort, because storage writes are
 * not atomic, but it narrows the race to a few milliseconds and a crashed holder's lease
 * expires. Tabs with private storage (sessionStorage, memory) only need the in-tab mutex.
 */

/** The part of the Web Locks `LockManager` the SDK uses. `navigator.locks` satisfies it. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of the Web Storage API the SDK uses (`localStorage` satisfies it). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `navigator.locks` when the platform has it. */
export function webLocks(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  const locks = nav?.locks;
  if (!locks || typeof locks.request !== "function") return undefined;
  return { request: (name, callback) => locks.request(name, callback) };
}

/** A mutex within this tab (a promise chain per name). */
export function inTabLock(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const before = tails.get(name) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => {
        release = r;
      });
      const tail = before.then(() => mine);
      tails.set(name, tail);
      await before;
      try {
        return await callback();
      } finally {
        release();
        if (tails.get(name) === tail) tails.delete(name);
      }
    },
  };
}

/** Options of {@link storageLeaseLock}. */
export interface StorageLeaseOptions {
  /**
   * How long a lease lasts if its holder dies, in ms.
   *
   * @default 10_000
   */
  leaseMs?: number;
  /**
   * How long to wait after writing a lease before trusting it, in ms.
   *
   * @default 40
   */
  settleMs?: number;
  /**
   * How often to look again while another tab holds the lease, in ms.
   *
   * @default 50
   */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The fallback cross-tab lock for platforms without Web Locks: a lease key in shared storage
 * (write, wait `settleMs`, read back; the last writer wins), behind an in-tab mutex.
 */
export function storageLeaseLock(
  storage: StorageLike,
  options: StorageLeaseOptions = {},
): LockManagerLike {
  const { leaseMs = 10_000, settleMs = 40, pollMs = 50 } = options;
  const local = inTabLock();
  const id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const read = (key: string): { owner: string; expires: number } | undefined => {
    try {
      const v = JSON.parse(storage.getItem(key) ?? "null") as unknown;
      if (v && typeof v === "object" && "owner" in v && "expires" in v) {
        return v as { owner: string; expires: number };
      }
    } catch {
      // A malformed lease counts as no lease.
    }
    return undefined;
  };
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const key = `gwo.lock:${name}`;
      return local.request(name, async () => {
        const deadline = Date.now() + leaseMs * 2;
        for (;;) {
          const cur = read(key);
          if (!cur || cur.expires < Date.now() || Date.now() > deadline) {
            storage.setItem(key, JSON.stringify({ owner: id, expires: Date.now() + leaseMs }));
            await sleep(settleMs);
            if (read(key)?.owner === id) break;
          }
          await sleep(pollMs + Math.floor(Math.random() * pollMs));
        }
        try {
          return await callback();
        } finally {
          if (read(key)?.owner === id) storage.removeItem(key);
        }
      });
    },
  };
}
