/**
 * The backend's view of the IdP's keys: jose's remote JWKS set, with what an outage needs.
 *
 *  - A failed fetch (refused, timed out, HTTP 503, not JSON) is "keys unavailable", never a
 *    bad token: the caller gets UNAVAILABLE and keeps its token.
 *  - While fetches fail and no fresh keys are held, calls fail at once without fetching until a
 *    backoff has passed (1 s, doubling, capped; reset by a success): a flood of calls during an
 *    outage costs the IdP one request per backoff step, not one per call.
 *  - An unknown `kid` refetches (a key rotation at the IdP), at most once per cooldown.
 *  - `ready()` says whether keys were ever loaded; `load()` fetches them now (for startup and
 *    health: a backend that cannot check any token should not say it is serving).
 */

import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from "jose";
import { createBackoff } from "./backoff.js";

export interface JwksKeysOptions {
  /** The JWKS URL (https). */
  url: URL;
  /** A fetch trusting the IdP's CA. @default global fetch */
  fetch?: FetchImplementation;
  /** ms after a fetch before an unknown `kid` may trigger another. @default 5000 */
  cooldownMs?: number;
  /** ms the JWKS is cached. @default 600000 */
  cacheMaxAgeMs?: number;
  /** Timeout of one fetch, ms. @default 5000 */
  timeoutMs?: number;
  /** Longest wait between fetches while they fail, ms (doubling from 1 s). @default 30000 */
  maxBackoffMs?: number;
}

/** The keys could not be fetched (or we are backing off): mapped to `jwks-unavailable`. */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

export interface JwksKeys {
  /** The key resolver for jwtVerify. Rejects with JwksUnavailableError when keys cannot be had. */
  readonly getKey: JWTVerifyGetKey;
  /** Whether a JWKS was ever loaded. */
  ready(): boolean;
  /** Fetches the JWKS now (respecting the backoff); resolves true when keys are loaded. */
  load(): Promise<boolean>;
}

/** Errors of jose's resolver that say something about the token, not about the fetch. */
function isTokenError(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JOSEAlgNotAllowed
  );
}

export function createJwksKeys(o: JwksKeysOptions): JwksKeys {
  // Which key set is in use, for the verified-token cache's fast path: bumped when a fetch
  // starts, so it changes before jose can apply what the fetch brings. (jose's own `jwks()`
  // returns a fresh copy on every call, so it cannot tell one set from the next.)
  let generation = 0;
  const fetchJwks: FetchImplementation = o.fetch ?? ((url, init) => fetch(url, init));
  const remote = createRemoteJWKSet(o.url, {
    cooldownDuration: o.cooldownMs ?? 5_000,
    cacheMaxAge: o.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: o.timeoutMs ?? 5_000,
    [customFetch]: ((url, init) => {
      generation++;
      return fetchJwks(url, init);
    }) satisfies FetchImplementation,
  });
  const backoff = createBackoff(o.maxBackoffMs ?? 30_000);
  let loaded = false;
  const succeeded = () => {
    loaded = true;
    backoff.succeeded();
  };
  // jose fetches when it holds no fresh keys (or on an unknown kid): only then does backoff apply.
  const mustFetch = () => !remote.fresh;
  const backingOff = () => mustFetch() && backoff.waiting();

  const resolve: JWTVerifyGetKey = async (header, token) => {
    if (backingOff()) throw new JwksUnavailableError("backing off after a failed JWKS fetch");
    const fetching = mustFetch();
    try {
      const key = await remote(header, token);
      if (fetching || !loaded) succeeded();
      return key;
    } catch (err) {
      if (isTokenError(err)) {
        if (fetching) succeeded();
        throw err;
      }
      backoff.failed();
      throw new JwksUnavailableError("JWKS fetch failed");
    }
  };
  // The verified-token cache's fast path reads which set is in use and its freshness: a hit
  // with the same fresh set needs no key lookup.
  const getKey = Object.defineProperties(resolve, {
    jwks: { value: () => generation },
    fresh: { get: () => remote.fresh },
  });
  return {
    getKey,
    ready: () => loaded,
    async load() {
      if (loaded && remote.fresh) return true;
      if (backoff.waiting()) return false;
      try {
        await remote.reload();
        succeeded();
        return true;
      } catch {
        backoff.failed();
        return false;
      }
    },
  };
}
