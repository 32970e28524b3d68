/**
 * DPoP proof verification for a resource server (RFC 9449 §4.3, §7). The checks run
 * in the order §4.3 lists them, each failing with its own DpopProofError code:
 *   1. exactly one `DPoP` header, no longer than the cap (before any parsing);
 *   2. a compact JWS whose header and payload are JSON objects;
 *   3. the required claims: `jti` (bounded length), `htm`, `htu`, `iat`, `ath`;
 *   4. `typ` is `dpop+jwt`;
 *   5. `alg` is on the asymmetric allow-list (never `none`, never HMAC);
 *   7. `jwk` is a public asymmetric key with no private members — checked before 6
 *      (§4.3 allows any order) so private key material is never even imported;
 *   6. the signature verifies with that `jwk`;
 *   8. `htm` is the request method; 9. `htu` is a configured origin + the request path;
 *  10. the nonce, when the server requires one (`use_dpop_nonce` otherwise);
 *  11. `iat` within [now − maxAge − tolerance, now + tolerance];
 *  12. `ath` is the SHA-256 of the access token, and the token's `cnf.jkt` is the RFC
 *      7638 thumbprint of the proof key;
 * and last the `jti` is recorded in a bounded replay cache (§11.1): only a proof that
 * passed every other check can take a slot, so forged or misdirected proofs cannot
 * burn the ids of the key's holder or fill the cache.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type CryptoKey, compactVerify, errors, importJWK, type JWK } from "jose";
import { DEFAULT_ALGORITHMS } from "../jwt-verifier.js";
import { DpopProofError } from "./errors.js";
import { normalizeOrigin, normalizePath, parseHtu } from "./htu.js";
import type { DpopNonces } from "./nonce.js";
import { createReplayCache, type ReplayCache } from "./replay-cache.js";
import { jwkThumbprint } from "./thumbprint.js";

export interface DpopVerifierOptions {
  /**
   * The public origin(s) clients call, exactly `scheme://host[:port]`: the `htu` of a
   * proof must be one of them plus the request path. Never derived from request headers.
   * Example: `"https://api.notes.example.com"`.
   */
  origin: string | readonly string[];
  /**
   * Accepted proof algorithms; asymmetric only.
   * @default DEFAULT_ALGORITHMS (RS*, PS*, ES*, EdDSA, Ed25519)
   */
  algorithms?: readonly string[];
  /** How old (`iat`) a proof may be, seconds. @default 60 */
  maxAgeSeconds?: number;
  /** Clock skew tolerated on `iat`, seconds, in both directions. @default 30 */
  clockToleranceSeconds?: number;
  /** Longest `DPoP` header accepted, characters; longer ones are refused unparsed. @default 4096 */
  maxProofLength?: number;
  /** Longest `jti` accepted, characters (§11.1: unnecessarily large ids are refused). @default 128 */
  maxJtiLength?: number;
  /**
   * Most proof ids remembered at once. The cache refuses new proofs (UNAVAILABLE, not a
   * forgotten id) while full, so the sustained proof rate per verifier is at most
   * `maxReplayEntries / (maxAgeSeconds + 2 × clockToleranceSeconds)` per second.
   * @default 250000 (about 25 MB; 2,083 proofs/s with the default window)
   */
  maxReplayEntries?: number;
  /**
   * Server nonces (`createDpopNonces`). When set, every proof must carry a current
   * nonce; others are refused with `use_dpop_nonce` and a fresh `DPoP-Nonce`.
   * @default undefined (no nonce required)
   */
  nonces?: DpopNonces;
  /** Clock, ms. @default Date.now */
  now?: () => number;
}

/** What the verifier needs to know about the request that carried the proof. */
export interface DpopRequest {
  /** Every `DPoP` header value as received (repeated headers kept apart). */
  proofs: readonly string[];
  /** The request's HTTP method, e.g. `POST`. */
  method: string;
  /** The request's path (a query is ignored), e.g. `/demo.v1.NotesService/GetNote`. */
  path: string;
  /** The access token sent with the `DPoP` scheme. */
  accessToken: string;
  /**
   * `cnf.jkt` of the verified access token; undefined when the token is not bound,
   * which fails check 12 (a DPoP request needs a DPoP-bound token).
   */
  boundKey: string | undefined;
}

/** A proof that passed every check. */
export interface VerifiedDpopProof {
  /** RFC 7638 thumbprint of the proof key (equals the token's `cnf.jkt`). */
  readonly thumbprint: string;
  readonly iat: number;
  /** The server nonce the proof carried, when nonces are on. */
  readonly nonce?: string;
}

export interface DpopVerifier {
  /** Resolves when the proof is valid for the request; rejects with DpopProofError only. */
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
  /** The nonce to send in `DPoP-Nonce` now, or undefined when nonces are off. */
  currentNonce(): string | undefined;
  /** The accepted algorithms, for the `algs` of a `WWW-Authenticate: DPoP` challenge. */
  readonly algorithms: readonly string[];
}

const ASYMMETRIC = new Set<string>(DEFAULT_ALGORITHMS);
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Members only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const KEY_CACHE_SIZE = 1024;

/** Creates a verifier. Throws TypeError on unsafe or incomplete options. */
export function createDpopVerifier(options: DpopVerifierOptions): DpopVerifier {
  const origins = new Set(
    (typeof options.origin === "string" ? [options.origin] : [...options.origin]).map(
      normalizeOrigin,
    ),
  );
  if (origins.size === 0) throw new TypeError("at least one DPoP origin is required");
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  if (algorithms.length === 0) throw new TypeError("algorithms must not be empty");
  for (const alg of algorithms) {
    if (!ASYMMETRIC.has(alg)) {
      throw new TypeError(`algorithm ${alg} is not an allowed asymmetric JWS algorithm`);
    }
  }
  const allowed = new Set(algorithms);
  const maxAge = seconds(options.maxAgeSeconds ?? 60, "maxAgeSeconds");
  const tolerance = seconds(options.clockToleranceSeconds ?? 30, "clockToleranceSeconds");
  const maxProofLength = options.maxProofLength ?? 4096;
  const maxJtiLength = options.maxJtiLength ?? 128;
  const now = options.now ?? Date.now;
  const nonces = options.nonces;
  // A proof stays acceptable at most maxAge + 2 × tolerance after it is first seen
  // (its iat may lie `tolerance` in the future), so its id is kept that long.
  const replay: ReplayCache = createReplayCache({
    ttlMs: (maxAge + 2 * tolerance) * 1000,
    maxEntries: options.maxReplayEntries ?? 250_000,
    now,
  });
  // Imported proof keys by alg + thumbprint: a client signs every call with one key,
  // and importing it costs more than the signature check.
  const keys = new Map<string, CryptoKey>();

  return {
    algorithms,
    currentNonce: () => nonces?.current(),
    async verify(request) {
      // 1. One header, and a bounded one, before anything parses it.
      if (request.proofs.length === 0) throw new DpopProofError("ERR_DPOP_PROOF_MISSING");
      if (request.proofs.length > 1) throw new DpopProofError("ERR_DPOP_MULTIPLE_PROOFS");
      const proof = request.proofs[0]!;
      if (proof.length > maxProofLength) throw new DpopProofError("ERR_DPOP_PROOF_TOO_LARGE");

      // 2. A single well-formed JWT.
      if (!COMPACT_JWS.test(proof)) throw new DpopProofError("ERR_DPOP_MALFORMED");
      const [h, p] = proof.split(".") as [string, string, string];
      const header = jsonObject(h);
      const claims = jsonObject(p);
      if (!header || !claims) throw new DpopProofError("ERR_DPOP_MALFORMED");

      // 3. Required claims (§4.2), with the access-token hash since a token comes along.
      const { jti, htm, htu, iat, ath } = claims;
      if (
        typeof jti !== "string" ||
        jti.length === 0 ||
        jti.length > maxJtiLength ||
        typeof htm !== "string" ||
        typeof htu !== "string" ||
        typeof iat !== "number" ||
        !Number.isFinite(iat) ||
        typeof ath !== "string"
      ) {
        throw new DpopProofError("ERR_DPOP_CLAIM_INVALID");
      }

      // 4. Explicit typing (§11.5), compared like a media type.
      if (typeof header.typ !== "string" || mediaType(header.typ) !== "dpop+jwt") {
        throw new DpopProofError("ERR_DPOP_WRONG_TYPE");
      }

      // 5. Asymmetric algorithms on the allow-list only (§11.6).
      const alg = header.alg;
      if (typeof alg !== "string" || !allowed.has(alg)) {
        throw new DpopProofError("ERR_DPOP_ALG_NOT_ALLOWED");
      }

      // 7. (before 6) A public asymmetric key, nothing private in it.
      const jwk = header.jwk;
      if (!isRecord(jwk) || PRIVATE_MEMBERS.some((m) => m in jwk)) {
        throw new DpopProofError("ERR_DPOP_JWK_INVALID");
      }
      const thumbprint = jwkThumbprint(jwk);
      if (!thumbprint) throw new DpopProofError("ERR_DPOP_JWK_INVALID");

      // 6. The signature, with the key of the header.
      const keyId = `${alg}.${thumbprint}`;
      let key = keys.get(keyId);
      if (!key) {
        try {
          const imported = await importJWK(jwk as JWK, alg);
          if (imported instanceof Uint8Array || imported.type !== "public") {
            throw new DpopProofError("ERR_DPOP_JWK_INVALID");
          }
          key = imported;
        } catch {
          throw new DpopProofError("ERR_DPOP_JWK_INVALID");
        }
        if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
        keys.set(keyId, key);
      }
      try {
        await compactVerify(proof, key, { algorithms: [alg] });
      } catch (err) {
        // jose refuses unknown `crit` and bad `b64` with JWSInvalid/JOSENotSupported.
        throw new DpopProofError(
          err instanceof errors.JWSSignatureVerificationFailed
            ? "ERR_DPOP_BAD_SIGNATURE"
            : err instanceof errors.JOSEError
              ? "ERR_DPOP_MALFORMED"
              : "ERR_DPOP_BAD_SIGNATURE",
        );
      }

      // 8. The method.
      if (htm !== request.method) throw new DpopProofError("ERR_DPOP_HTM_MISMATCH");

      // 9. The target URI: a configured origin + this request's path.
      const target = parseHtu(htu);
      if (!target || !origins.has(target.origin) || target.path !== normalizePath(request.path)) {
        throw new DpopProofError("ERR_DPOP_HTU_MISMATCH");
      }

      // 10. The server's nonce, when it hands them out (§9; §11.3: no downgrade).
      if (nonces) {
        if (claims.nonce === undefined) throw new DpopProofError("ERR_DPOP_NONCE_REQUIRED");
        if (typeof claims.nonce !== "string" || !nonces.check(claims.nonce)) {
          throw new DpopProofError("ERR_DPOP_NONCE_INVALID");
        }
      }

      // 11. Fresh: not older than maxAge, not later than the skew allows.
      const t = now() / 1000;
      if (iat < t - maxAge - tolerance) throw new DpopProofError("ERR_DPOP_IAT_STALE");
      if (iat > t + tolerance) throw new DpopProofError("ERR_DPOP_IAT_FUTURE");

      // 12. Bound to this access token and to the key the token is bound to.
      if (!equal(ath, sha256(request.accessToken))) {
        throw new DpopProofError("ERR_DPOP_ATH_MISMATCH");
      }
      if (request.boundKey === undefined || !equal(request.boundKey, thumbprint)) {
        throw new DpopProofError("ERR_DPOP_KEY_MISMATCH");
      }

      // §11.1: single use. The id is a fixed-size hash of key and jti.
      const id = createHash("sha256")
        .update(`${thumbprint}.${jti}`)
        .digest()
        .subarray(0, 16)
        .toString("base64url");
      const verdict = replay.add(id);
      if (verdict === "replayed") throw new DpopProofError("ERR_DPOP_REPLAYED");
      if (verdict === "full") throw new DpopProofError("ERR_DPOP_REPLAY_CACHE_FULL");
      return nonces ? { thumbprint, iat, nonce: claims.nonce as string } : { thumbprint, iat };
    },
  };
}

function seconds(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be >= 0`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `typ` compares case-insensitively, with an optional `application/` prefix (RFC 7515 §4.1.9). */
function mediaType(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, "");
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.byteLength === y.byteLength && timingSafeEqual(x, y);
}
