/**
 * The set of DPoP proof ids (`jti`) seen within the acceptance window (RFC 9449 §11.1),
 * bounded in time (every entry lives exactly `ttlMs`) and in memory (at most
 * `maxEntries`). Because every entry has the same lifetime, insertion order is expiry
 * order, so expired entries are swept from the front of one Map in O(expired).
 */

export interface ReplayCacheOptions {
  /** How long an id is remembered, ms: at least the longest time a proof is accepted. */
  ttlMs: number;
  /**
   * Most ids held at once. When full of live ids, `add` refuses (returns "full") rather
   * than forgetting one, since forgetting would let that proof be replayed.
   * @default 100000 (a few MB)
   */
  maxEntries?: number;
  /** Clock, ms. @default Date.now */
  now?: () => number;
}

/** `added`: first sighting; `replayed`: seen within the window; `full`: no room. */
export type ReplayVerdict = "added" | "replayed" | "full";

export interface ReplayCache {
  /** Records `id` unless it is live already. `id` should be fixed-size (a hash). */
  add(id: string): ReplayVerdict;
  /** Live entries (after sweeping expired ones). */
  size(): number;
}

export function createReplayCache(options: ReplayCacheOptions): ReplayCache {
  const { ttlMs } = options;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  if (!(ttlMs > 0)) throw new TypeError("ttlMs must be positive");
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError("maxEntries must be a positive integer");
  }
  // id -> expiry (ms). Map iteration follows insertion order.
  const entries = new Map<string, number>();

  const sweep = (t: number) => {
    for (const [id, expires] of entries) {
      if (expires > t) break;
      entries.delete(id);
    }
  };

  return {
    add(id) {
      const t = now();
      sweep(t);
      if (entries.has(id)) return "replayed";
      if (entries.size >= maxEntries) return "full";
      entries.set(id, t + ttlMs);
      return "added";
    },
    size() {
      sweep(now());
      return entries.size;
    },
  };
}
