/**
 * Access-token verification: one JWT in, a verified principal out, or a typed
 * rejection. The checks run in this order, each failing with its own reason:
 *   1. length (before any parsing), 2. compact JWS shape (three base64url parts),
 *   3. header `alg` on the asymmetric allow-list, 4. key lookup in the remote JWKS
 *   (refetched on an unknown `kid`, with a cooldown), 5. signature, 6. `crit`,
 *   7. `typ` (when configured), 8. claims: `exp` required, `exp`/`nbf` with a small
 *   clock tolerance, `iss`, `aud`, 9. required claim values (when configured).
 *
 * Without `jwksUri` or `keys`, the JWKS URI is discovered from the issuer's
 * `/.well-known/openid-configuration` when first needed, and discovery is retried with
 * backoff while it fails (tokens meanwhile get `jwks-unavailable`): a backend started before
 * its IdP recovers on its own, and never guesses a provider-specific JWKS path.
 */

import {
  decodeProtectedHeader,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import {
  type ClaimNames,
  type ClaimSettings,
  normalizeTokenType,
  principalFromClaims,
  readClaim,
  resolveClaimSettings,
} from "../access/index.js";
import { createBackoff } from "./backoff.js";
import { createCaFetch } from "./ca-fetch.js";
import type { AuthenticatedPrincipal } from "./context.js";
import type { DenialReason } from "./denial-log.js";
import { createJwksKeys, type JwksKeys } from "./jwks-keys.js";
import {
  createVerifiedTokenCache,
  type VerifiedTokenCacheOptions,
} from "./verified-token-cache.js";

/** Asymmetric JWS algorithms accepted by default. `none` and HMAC are never accepted. */
export const DEFAULT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;

const ASYMMETRIC = new Set<string>(DEFAULT_ALGORITHMS);

export interface JwtVerifierOptions {
  /** Expected `iss`, exactly. Example: `"https://localhost:9443"`. */
  issuer: string;
  /**
   * Expected `aud`: the token must name at least one of these.
   * Example: `"https://api.grpc-web-oidc.local"`.
   */
  audience: string | readonly string[];
  /**
   * The IdP's JWKS URL (https only). Example: `"https://localhost:9443/jwks"`.
   * Mutually exclusive with `keys`.
   * @default discovered from `<issuer>/.well-known/openid-configuration` (its `jwks_uri`)
   */
  jwksUri?: string;
  /**
   * A key resolver to use instead of a remote JWKS (tests, pinned keys), e.g. jose's
   * `createLocalJWKSet(jwks)`.
   */
  keys?: JWTVerifyGetKey;
  /**
   * PEM CA certificate(s) trusted for the JWKS endpoint (instead of the system store).
   * @default undefined (system trust store via global fetch)
   */
  jwksCa?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** A fetch for the JWKS; overrides `jwksCa`. @default global fetch */
  jwksFetch?: FetchImplementation;
  /**
   * Allowed `alg` values; only asymmetric algorithms may be listed.
   * @default DEFAULT_ALGORITHMS (RS*, PS*, ES*, EdDSA)
   */
  algorithms?: readonly string[];
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf`.
   * @default 30
   */
  clockToleranceSeconds?: number;
  /**
   * Longest token accepted, in characters; longer ones are refused before parsing.
   * @default 8192
   */
  maxTokenLength?: number;
  /**
   * Required `typ` header, compared case-insensitively without an `application/` prefix.
   * Example: `"at+jwt"` (RFC 9068). @default undefined (not checked)
   */
  typ?: string;
  /**
   * Milliseconds after a JWKS fetch before an unknown `kid` may trigger another one (a key
   * rotation at the IdP is picked up by the first token that names the new key after this).
   * @default 5000
   */
  jwksCooldownMs?: number;
  /** Milliseconds the JWKS is cached. @default 600000 */
  jwksCacheMaxAgeMs?: number;
  /** Timeout of one JWKS fetch in milliseconds. @default 5000 */
  jwksTimeoutMs?: number;
  /** Where scopes and roles live in the claims. @default { scope: "scope", roles: "roles" } */
  claimNames?: ClaimNames;
  /**
   * Claims that must be present with exactly these string values (name or dotted path), or
   * the token is refused (`invalid-claim`). Keycloak's access tokens carry `typ: "Bearer"`
   * and its ID tokens `typ: "ID"` with the same header `typ: JWT`, so this is how an ID token
   * is kept out there. @default {} @example { typ: "Bearer" }
   */
  requiredClaims?: Readonly<Record<string, string>>;
  /**
   * Longest wait between two discovery attempts while the IdP cannot be reached, ms; the
   * wait doubles from 1 s up to this. @default 30000
   */
  discoveryMaxBackoffMs?: number;
  /**
   * Cache verified tokens (keyed by their SHA-256, bounded, never past `exp` or a key's
   * removal from the JWKS; see verified-token-cache.ts), so a token is verified once, not on
   * every call. Authorization still runs on every call. `false` verifies every call.
   * @default { maxEntries: 10000, maxAgeMs: 300000 }
   */
  cache?: VerifiedTokenCacheOptions | false;
}

/**
 * The verifier options that one {@link ClaimSettings} implies (issuer, audiences, `typ`,
 * scope and roles claims, required claims, clock skew): the same settings the gateway is
 * generated from. Add `jwksUri` / `jwksCa` (or nothing, for discovery).
 */
export function jwtVerifierOptions(
  settings: ClaimSettings,
): Pick<
  JwtVerifierOptions,
  "issuer" | "audience" | "typ" | "claimNames" | "requiredClaims" | "clockToleranceSeconds"
> {
  const s = resolveClaimSettings(settings);
  return {
    issuer: s.issuer,
    audience: s.audiences,
    ...(s.tokenType === undefined ? {} : { typ: s.tokenType }),
    claimNames: { scope: s.scopeClaim, roles: s.rolesClaim },
    requiredClaims: s.requiredClaims,
    clockToleranceSeconds: s.clockSkewSeconds,
  };
}

/** Raised for every refused token. `reason` is safe to log; the message is generic. */
export class TokenRejectedError extends Error {
  override name = "TokenRejectedError";
  constructor(readonly reason: DenialReason) {
    super(`access token rejected: ${reason}`);
  }
}

/** Verifies access tokens. */
export interface JwtVerifier {
  /** Resolves to the verified principal; rejects with TokenRejectedError only. */
  verify(token: string): Promise<AuthenticatedPrincipal>;
  /**
   * Fetches the IdP's keys now if none are held (respecting the fetch backoff); resolves true
   * once keys are loaded. A backend that cannot check any token is not ready to serve: call
   * this at startup and report health from it. Always true with fixed `keys`.
   */
  loadKeys?(): Promise<boolean>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Creates a verifier. Throws TypeError on unsafe or incomplete options. */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  if (algorithms.length === 0) throw new TypeError("algorithms must not be empty");
  for (const alg of algorithms) {
    if (!ASYMMETRIC.has(alg)) {
      throw new TypeError(`algorithm ${alg} is not an allowed asymmetric JWS algorithm`);
    }
  }
  if (!options.issuer) throw new TypeError("issuer is required");
  const audience =
    typeof options.audience === "string" ? [options.audience] : [...options.audience];
  if (audience.length === 0 || audience.some((a) => !a)) {
    throw new TypeError("audience is required");
  }
  const maxLength = options.maxTokenLength ?? 8192;
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const typ = options.typ === undefined ? undefined : normalizeTokenType(options.typ);
  const required = Object.entries(options.requiredClaims ?? {});
  const remote = options.keys ? undefined : remoteKeys(options);
  const keys = options.keys ?? (remote as RemoteKeys).getKey;

  const verifier: JwtVerifier = {
    async verify(token) {
      if (token.length > maxLength) throw new TokenRejectedError("token-too-long");
      if (!COMPACT_JWS.test(token)) throw new TokenRejectedError("malformed-token");
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new TokenRejectedError("malformed-token");
      }
      if (typeof alg !== "string" || !algorithms.includes(alg)) {
        throw new TokenRejectedError("alg-not-allowed");
      }
      let payload: JWTPayload;
      let headerTyp: string | undefined;
      try {
        const result = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience,
          algorithms,
          clockTolerance,
          requiredClaims: ["exp"],
        });
        payload = result.payload;
        headerTyp = result.protectedHeader.typ;
      } catch (err) {
        throw new TokenRejectedError(reasonFor(err));
      }
      if (typ !== undefined && (headerTyp === undefined || normalizeTokenType(headerTyp) !== typ)) {
        throw new TokenRejectedError("wrong-type");
      }
      if (typeof payload.exp !== "number") throw new TokenRejectedError("missing-claim");
      for (const [name, value] of required) {
        const actual = readClaim(payload, name);
        if (actual === undefined) throw new TokenRejectedError("missing-claim");
        if (actual !== value) throw new TokenRejectedError("invalid-claim");
      }
      const principal = principalFromClaims(payload, options.claimNames);
      return { ...principal, claims: payload, expiresAt: payload.exp };
    },
  };
  const loadKeys = () => (remote ? remote.load() : Promise.resolve(true));
  if (options.cache === false) return { ...verifier, loadKeys };
  const cache = createVerifiedTokenCache(keys, options.cache);
  return { verify: (token) => cache.verify(token, verifier.verify), loadKeys };
}

interface RemoteKeys {
  getKey: JWTVerifyGetKey;
  load(): Promise<boolean>;
}

function remoteKeys(options: JwtVerifierOptions): RemoteKeys {
  const fetchImpl =
    options.jwksFetch ?? (options.jwksCa ? createCaFetch({ ca: options.jwksCa }) : undefined);
  const remote = (uri: string) => {
    const url = new URL(uri);
    if (url.protocol !== "https:") throw new TypeError("jwksUri must use https");
    return createJwksKeys({
      url,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
      cooldownMs: options.jwksCooldownMs ?? 5_000,
      cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
      timeoutMs: options.jwksTimeoutMs ?? 5_000,
      maxBackoffMs: options.discoveryMaxBackoffMs ?? 30_000,
    });
  };
  if (options.jwksUri) return remote(options.jwksUri);
  if (new URL(options.issuer).protocol !== "https:") {
    throw new TypeError("issuer must use https for JWKS discovery (or pass jwksUri or keys)");
  }
  const discover = discoverJwksUri(options.issuer, {
    fetch: fetchImpl ?? ((url, init) => fetch(url, init)),
    timeoutMs: options.jwksTimeoutMs ?? 5_000,
    maxBackoffMs: options.discoveryMaxBackoffMs ?? 30_000,
  });
  let keys: JwksKeys | undefined;
  const resolve = async () => {
    keys ??= remote(await discover());
    return keys;
  };
  const getKey: JWTVerifyGetKey = async (header, token) => (await resolve()).getKey(header, token);
  // Once discovered, the verified-token cache sees the remote set's view (see jwks-keys.ts).
  Object.defineProperties(getKey, {
    jwks: { value: () => (keys?.getKey as { jwks?: () => unknown } | undefined)?.jwks?.() },
    fresh: { get: () => (keys?.getKey as { fresh?: boolean } | undefined)?.fresh === true },
  });
  return {
    getKey,
    load: () =>
      resolve().then(
        (k) => k.load(),
        () => false,
      ),
  };
}

/** Thrown while discovery has not succeeded; mapped to `jwks-unavailable`. */
class DiscoveryError extends Error {
  override name = "DiscoveryError";
}

/**
 * Resolves the issuer's `jwks_uri` from its discovery document, once. While it fails, each
 * call rejects at once until the backoff (1 s, doubling, capped) has passed, so a flood of
 * requests during an IdP outage costs one discovery request per backoff step.
 */
function discoverJwksUri(
  issuer: string,
  o: { fetch: FetchImplementation; timeoutMs: number; maxBackoffMs: number },
): () => Promise<string> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let found: string | undefined;
  let inFlight: Promise<string> | undefined;
  const backoff = createBackoff(o.maxBackoffMs);
  const attempt = async (): Promise<string> => {
    const signal = AbortSignal.timeout(o.timeoutMs);
    const res = await o.fetch(url, {
      method: "GET",
      headers: new Headers({ accept: "application/json" }),
      redirect: "manual",
      signal,
    });
    if (!res.ok) throw new DiscoveryError(`discovery answered HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document's issuer must be the one asked for.
    if (doc.issuer !== issuer) throw new DiscoveryError("discovery document names another issuer");
    if (typeof doc.jwks_uri !== "string") throw new DiscoveryError("no jwks_uri in discovery");
    return doc.jwks_uri;
  };
  return () => {
    if (found !== undefined) return Promise.resolve(found);
    if (inFlight) return inFlight;
    if (backoff.waiting()) {
      return Promise.reject(new DiscoveryError("discovery backing off"));
    }
    inFlight = attempt().then(
      (uri) => {
        found = uri;
        inFlight = undefined;
        return uri;
      },
      (err: unknown) => {
        inFlight = undefined;
        backoff.failed();
        throw err instanceof DiscoveryError ? err : new DiscoveryError("discovery failed");
      },
    );
    return inFlight;
  };
}

/** Maps jose's error classes onto stable reasons (never its message, which may quote input). */
function reasonFor(err: unknown): DenialReason {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
        return "not-yet-valid";
      case "iss":
        return "wrong-issuer";
      case "aud":
        return "wrong-audience";
      default:
        return err.reason === "missing" ? "missing-claim" : "invalid-claim";
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad-signature";
  if (err instanceof errors.JWKSNoMatchingKey) return "unknown-key";
  if (err instanceof errors.JWKSMultipleMatchingKeys) return "unknown-key";
  if (err instanceof errors.JOSEAlgNotAllowed) return "alg-not-allowed";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return "jwks-unavailable";
  }
  if (err instanceof errors.JOSENotSupported) return "unsupported";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return "malformed-token";
  }
  if (err instanceof errors.JOSEError) return "malformed-token";
  // Anything else is a fetch/network failure while getting the JWKS.
  return "jwks-unavailable";
}
