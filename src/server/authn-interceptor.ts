/**
 * Authentication for every call, unary and streaming: one `authorization` header,
 * `Bearer <token>` or (with the `dpop` option) `DPoP <token>` plus a `DPoP` proof,
 * verified by a JwtVerifier and a DpopVerifier. The value must be exactly the scheme, one
 * space and a compact JWS, the same rule the generated gateway enforces (README "Token
 * acceptance"), so the gateway and the backend refuse the same headers: a lower-case
 * `bearer`, a second scheme in the same value, a prefix before the scheme, and padding after
 * the token are UNAUTHENTICATED at both. Public methods (per the access policy) skip it.
 * A DPoP-bound token (one with `cnf`) is never accepted as Bearer (RFC 9449 §7.2).
 * Refusals are UNAUTHENTICATED with one generic message whatever the cause (the cause goes
 * to the denial log only), or UNAVAILABLE when the IdP's keys cannot be fetched; with DPoP
 * on they carry a `WWW-Authenticate: DPoP …` challenge and, when the server wants a nonce,
 * `DPoP-Nonce`.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { AccessPolicy } from "../access/index.js";
import { methodPath } from "../common/method-path.js";
import { authorizationHeadersKey, callerOf, dpopHeadersKey, principalKey } from "./context.js";
import { type DenialReason, type DenialSink, denialRecord, emitDenial } from "./denial-log.js";
import { type ChallengeError, dpopChallenge } from "./dpop/challenge.js";
import { DpopProofError } from "./dpop/errors.js";
import type { DpopVerifier, VerifiedDpopProof } from "./dpop/verify-proof.js";
import { type JwtVerifier, TokenRejectedError } from "./jwt-verifier.js";

/** DPoP settings of the authentication interceptor. */
export interface AuthnDpopOptions {
  /** Checks the proof of every `DPoP`-scheme call. Example: `createDpopVerifier({ origin })`. */
  verifier: DpopVerifier;
  /**
   * Also accept unbound tokens with the Bearer scheme (a migration period). Bound
   * tokens are refused as Bearer either way. @default false (DPoP only)
   */
  allowBearer?: boolean;
}

export interface AuthnInterceptorOptions {
  /** Verifies the bearer token. */
  verifier: JwtVerifier;
  /**
   * The access policy; methods whose rule is `public` are not authenticated (a token
   * on them is ignored). Example: `buildAccessPolicy([NotesService])`.
   */
  policy: AccessPolicy;
  /** Receives a record for every refusal. @default undefined (not logged) */
  onDenied?: DenialSink;
  /**
   * Accept DPoP-bound tokens with a proof per call (RFC 9449).
   * @default undefined (Bearer only)
   */
  dpop?: AuthnDpopOptions;
}

/** The message when the IdP's keys cannot be fetched (the token may be fine: try again). */
export const JWKS_UNAVAILABLE_MESSAGE = "token keys unavailable, try again";

/** The message of every UNAUTHENTICATED refusal; it never says which check failed. */
export const UNAUTHENTICATED_MESSAGE = "missing or invalid access token";

// RFC 7235 credentials: scheme, spaces, the rest. Only the exact form below is accepted.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+)$/;
// The scheme, exactly one space, a compact JWS: all the gateway can verify (Envoy's jwt_authn
// matches its prefix case-sensitively), so both sides accept exactly this.
const SCHEME_JWS = /^(Bearer|DPoP) [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Creates the interceptor; put it before the access interceptor. */
export function createAuthnInterceptor(options: AuthnInterceptorOptions): Interceptor {
  const { verifier, policy, onDenied, dpop } = options;
  const bearerAccepted = !dpop || dpop.allowBearer === true;
  return (next) => async (req) => {
    const path = methodPath(req);
    if (policy.lookup(path)?.rule?.kind === "public") return next(req);

    const deny = (
      reason: DenialReason,
      code: Code,
      challenge?: { scheme: "bearer" | "dpop"; error: ChallengeError },
      message = UNAUTHENTICATED_MESSAGE,
    ) => {
      emitDenial(
        onDenied,
        denialRecord({
          layer: "authn",
          method: path,
          peer: callerOf(req.contextValues),
          reason,
          code: Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(),
        }),
      );
      if (!dpop) return new ConnectError(message, code);
      const metadata: Record<string, string> = {
        "www-authenticate": dpopChallenge({
          algorithms: dpop.verifier.algorithms,
          bearer: bearerAccepted,
          ...(challenge ? { failed: challenge } : {}),
        }),
      };
      const nonce = dpop.verifier.currentNonce();
      if (nonce !== undefined) metadata["dpop-nonce"] = nonce;
      return new ConnectError(message, code, metadata);
    };

    const raw = req.contextValues.get(authorizationHeadersKey);
    const merged = req.header.get("authorization");
    const values = raw ?? (merged === null ? [] : [merged]);
    if (values.length === 0) throw deny("no-credentials", Code.Unauthenticated);
    if (values.length > 1) {
      throw deny("multiple-authorization-headers", Code.Unauthenticated, {
        scheme: "dpop",
        error: "invalid_request",
      });
    }

    const value = values[0]!;
    const match = CREDENTIALS.exec(value);
    if (!match) throw deny("malformed-authorization", Code.Unauthenticated);
    // RFC 7235 calls the scheme case-insensitive; the gateway matches it exactly, and the
    // two must agree, so only the form every client sends is taken (README "Token acceptance").
    const scheme = match[1]!;
    const isDpop = scheme === "DPoP" && dpop !== undefined;
    if (!isDpop && !(scheme === "Bearer" && bearerAccepted)) {
      throw deny("wrong-scheme", Code.Unauthenticated);
    }
    const failedScheme = isDpop ? "dpop" : "bearer";
    const token = match[2]!;
    if (!SCHEME_JWS.test(value)) {
      // Two spaces after the scheme are a malformed header; anything else a malformed token.
      const reason =
        value[scheme.length + 1] === " " ? "malformed-authorization" : "malformed-token";
      throw deny(reason, Code.Unauthenticated);
    }

    let principal: Awaited<ReturnType<JwtVerifier["verify"]>>;
    try {
      principal = await verifier.verify(token);
    } catch (err) {
      const reason = err instanceof TokenRejectedError ? err.reason : "jwks-unavailable";
      if (reason === "jwks-unavailable") {
        throw deny(reason, Code.Unavailable, undefined, JWKS_UNAVAILABLE_MESSAGE);
      }
      throw deny(reason, Code.Unauthenticated, { scheme: failedScheme, error: "invalid_token" });
    }
    const cnf = principal.claims.cnf;

    let proof: VerifiedDpopProof | undefined;
    if (!isDpop) {
      // RFC 9449 §7.2 (and RFC 8705 for certificate-bound tokens): a token bound to a
      // key is useless without proof of that key, so it is never a bearer token here.
      if (cnf !== undefined) {
        throw deny("token-bound-to-key", Code.Unauthenticated, {
          scheme: "bearer",
          error: "invalid_token",
        });
      }
    } else {
      const jkt =
        typeof cnf === "object" && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined;
      try {
        proof = await dpop.verifier.verify({
          proofs: dpopProofs(req.contextValues.get(dpopHeadersKey), req.header.get("dpop")),
          method: req.requestMethod,
          path,
          accessToken: token,
          boundKey: typeof jkt === "string" ? jkt : undefined,
        });
      } catch (err) {
        if (!(err instanceof DpopProofError)) throw err;
        if (err.retryable) {
          throw deny(err.reason, Code.Unavailable, undefined, "server busy, try again");
        }
        throw deny(err.reason, Code.Unauthenticated, { scheme: "dpop", error: err.challenge });
      }
    }
    req.contextValues.set(principalKey, principal);
    const res = await next(req);
    // RFC 9449 §8.2: hand out the next nonce on success once the one in use is old.
    const nonce = isDpop ? dpop.verifier.currentNonce() : undefined;
    if (nonce !== undefined && proof?.nonce !== nonce) res.header.set("dpop-nonce", nonce);
    return res;
  };
}

/**
 * The `DPoP` header values: as recorded from the raw headers, else the merged header,
 * where repeated headers arrive joined by commas (a comma never occurs in a proof).
 */
function dpopProofs(raw: readonly string[] | undefined, merged: string | null): string[] {
  if (raw) return raw.map((v) => v.trim());
  if (merged === null) return [];
  return merged.split(",").map((v) => v.trim());
}
