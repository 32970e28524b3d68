/**
 * A cache of verified access tokens, so a token that calls a thousand times is verified
 * (signature and claims) once, not a thousand times: ES256 verification is most of the
 * per-call cost of authentication. What it may never do, and how:
 *   - grow without bound: at most `maxEntries` tokens, the least recently used go first;
 *   - hold the token: entries are keyed by its SHA-256 digest;
 *   - accept a token past its `exp`: an entry is good until `exp` exactly (no clock
 *     tolerance, which only ever widens acceptance) and at most `maxAgeMs`;
 *   - accept a token whose key left the JWKS: a hit must see the very JWKS object that
 *     verified the token, still fresh, in jose's remote key set; otherwise (or with any other
 *     key resolver) it resolves the token's key again through the verifier's own key set and
 *     must get the very key object that verified it. A JWKS refetch that drops or replaces
 *     the key is a miss, and the token is verified (and refused) again;
 *   - authorize: it returns the principal only; authorization runs on every call.
 * Refused tokens are not cached (each refusal is verified and logged again).
 */
import { createHash } from "node:crypto";
import type { CompactJWSHeaderParameters, FlattenedJWSInput, JWTVerifyGetKey } from "jose";
import type { AuthenticatedPrincipal } from "./context.js";

/** Options of the verified-token cache (`JwtVerifierOptions.cache`). */
export interface VerifiedTokenCacheOptions {
  /**
   * Most tokens held; the least recently used is dropped first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Longest an entry is trusted, ms, even when the token lives longer.
   * @default 300000 (5 minutes)
   */
  maxAgeMs?: number;
  /** The clock, ms since the epoch (tests). @default Date.now */
  now?: () => number;
}

/** The key a token resolves to now; throws when the key set no longer has it. */
export type KeyResolver = JWTVerifyGetKey;

/**
 * What jose's remote key sets (`createRemoteJWKSet`) expose: the JWKS in use (a new object
 * after every fetch) and whether it is still within its cache age.
 */
interface RemoteKeySetView {
  jwks(): unknown;
  readonly fresh: boolean;
}

interface Entry {
  principal: AuthenticatedPrincipal;
  /** The key object that verified the token (compared by identity on a full re-check). */
  key: unknown;
  /** The JWKS object in use when the token was verified (remote key sets only). */
  jwks: unknown;
  /** Good until then, ms: min(exp, verified + maxAgeMs). */
  until: number;
}

export interface VerifiedTokenCache {
  /** The principal of `token`: from the cache, or from `verify` (then cached). */
  verify(
    token: string,
    verify: (token: string) => Promise<AuthenticatedPrincipal>,
  ): Promise<AuthenticatedPrincipal>;
  /** Tokens held now. */
  readonly size: number;
  /** The keys held (SHA-256 digests, base64url), least recently used first; for tests. */
  keys(): string[];
}

/** The cache key of a token: its SHA-256 digest. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** The parts of a compact JWS that jose's key resolvers take. */
function jwsParts(token: string): { header: CompactJWSHeaderParameters; input: FlattenedJWSInput } {
  const [protectedHeader = "", payload = "", signature = ""] = token.split(".");
  const header = JSON.parse(
    Buffer.from(protectedHeader, "base64url").toString("utf8"),
  ) as CompactJWSHeaderParameters;
  return { header, input: { protected: protectedHeader, payload, signature } };
}

/**
 * Create a cache in front of a verifier whose keys come from `resolve` (the same resolver
 * the verifier uses, e.g. jose's `createRemoteJWKSet`).
 */
export function createVerifiedTokenCache(
  resolve: KeyResolver,
  options: VerifiedTokenCacheOptions = {},
): VerifiedTokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const now = options.now ?? Date.now;
  if (!(maxEntries >= 1)) throw new TypeError("cache.maxEntries must be at least 1");
  if (!(maxAgeMs > 0)) throw new TypeError("cache.maxAgeMs must be positive");
  // A Map iterates in insertion order: re-inserting on a hit keeps it in LRU order.
  const entries = new Map<string, Entry>();
  // Concurrent first calls with one token share one verification.
  const pending = new Map<string, Promise<AuthenticatedPrincipal>>();

  // With a remote key set, a hit only has to see that the JWKS in use is still the one that
  // verified the token and is fresh (no await, no key lookup); any refetch or a stale set
  // sends the hit through the full key re-check below, which also makes jose refetch.
  const remote =
    typeof (resolve as Partial<RemoteKeySetView>).jwks === "function"
      ? (resolve as unknown as RemoteKeySetView)
      : undefined;

  const currentKey = async (token: string): Promise<unknown> => {
    const { header, input } = jwsParts(token);
    return await resolve(header, input);
  };

  async function hit(digest: string, token: string): Promise<AuthenticatedPrincipal | undefined> {
    const entry = entries.get(digest);
    if (!entry) return undefined;
    if (now() >= entry.until) {
      entries.delete(digest);
      return undefined;
    }
    if (remote && entry.jwks !== undefined && remote.fresh && remote.jwks() === entry.jwks) {
      entries.delete(digest);
      entries.set(digest, entry);
      return { ...entry.principal };
    }
    let key: unknown;
    try {
      key = await currentKey(token);
    } catch {
      key = undefined; // the key set no longer has it (or cannot be read): verify again
    }
    if (key !== entry.key) {
      entries.delete(digest);
      return undefined;
    }
    entries.delete(digest);
    entries.set(digest, entry);
    return { ...entry.principal };
  }

  async function miss(
    digest: string,
    token: string,
    verify: (token: string) => Promise<AuthenticatedPrincipal>,
  ): Promise<AuthenticatedPrincipal> {
    const verifiedAt = now();
    const principal = await verify(token);
    // The key that verified it: resolved after the signature check, from the same set.
    const key = await currentKey(token).catch(() => undefined);
    const jwks = remote?.jwks();
    const until = Math.min(principal.expiresAt * 1000, verifiedAt + maxAgeMs);
    if (key !== undefined && until > now()) {
      entries.delete(digest);
      entries.set(digest, { principal, key, jwks, until });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    }
    return principal;
  }

  return {
    async verify(token, verify) {
      const digest = tokenDigest(token);
      const cached = await hit(digest, token);
      if (cached) return cached;
      const inFlight = pending.get(digest);
      if (inFlight) return await inFlight;
      const p = miss(digest, token, verify).finally(() => pending.delete(digest));
      pending.set(digest, p);
      return await p;
    },
    get size() {
      return entries.size;
    },
    keys: () => [...entries.keys()],
  };
}
