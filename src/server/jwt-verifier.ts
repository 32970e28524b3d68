/**
 * Access-token verification: one JWT in, a verified principal out, or a typed
 * rejection. The checks run in this order, each failing with its own reason:
 *   1. length (before any parsing), 2. compact JWS shape (three base64url parts),
 *   3. header `alg` on the asymmetric allow-list, 4. key lookup in the remote JWKS
 *   (refetched on an unknown `kid`, with a cooldown), 5. signature, 6. `crit`,
 *   7. `typ` (when configured), 8. claims: `exp` required, `exp`/`nbf` with a small
 *   clock tolerance, `iss`, `aud`.
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { type ClaimNames, principalFromClaims } from "../access/index.js";
import { createCaFetch } from "./ca-fetch.js";
import type { AuthenticatedPrincipal } from "./context.js";
import type { DenialReason } from "./denial-log.js";

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
   * Milliseconds after a JWKS fetch before an unknown `kid` may trigger another one.
   * @default 30000
   */
  jwksCooldownMs?: number;
  /** Milliseconds the JWKS is cached. @default 600000 */
  jwksCacheMaxAgeMs?: number;
  /** Timeout of one JWKS fetch in milliseconds. @default 5000 */
  jwksTimeoutMs?: number;
  /** Where scopes and roles live in the claims. @default { scope: "scope", roles: "roles" } */
  claimNames?: ClaimNames;
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
  const typ = options.typ?.toLowerCase().replace(/^application\//, "");
  const keys = options.keys ?? remoteKeys(options);

  return {
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
      if (typ !== undefined && headerTyp?.toLowerCase().replace(/^application\//, "") !== typ) {
        throw new TokenRejectedError("wrong-type");
      }
      if (typeof payload.exp !== "number") throw new TokenRejectedError("missing-claim");
      const principal = principalFromClaims(payload, options.claimNames);
      return { ...principal, claims: payload, expiresAt: payload.exp };
    },
  };
}

function remoteKeys(options: JwtVerifierOptions): JWTVerifyGetKey {
  if (!options.jwksUri) throw new TypeError("jwksUri or keys is required");
  const url = new URL(options.jwksUri);
  if (url.protocol !== "https:") throw new TypeError("jwksUri must use https");
  const fetchImpl =
    options.jwksFetch ?? (options.jwksCa ? createCaFetch({ ca: options.jwksCa }) : undefined);
  return createRemoteJWKSet(url, {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    ...(fetchImpl ? { [customFetch]: fetchImpl } : {}),
  });
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
