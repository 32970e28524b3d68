/**
 * Authentication for every call, unary and streaming: one `authorization: Bearer`
 * header, verified by a JwtVerifier. Public methods (per the access policy) skip it.
 * Refusals are UNAUTHENTICATED with one generic message whatever the cause (the cause
 * goes to the denial log only), or UNAVAILABLE when the IdP's keys cannot be fetched.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { AccessPolicy } from "../access/index.js";
import { authorizationHeadersKey, callerOf, principalKey } from "./context.js";
import { type DenialReason, type DenialSink, denialRecord, emitDenial } from "./denial-log.js";
import { type JwtVerifier, TokenRejectedError } from "./jwt-verifier.js";
import { methodPath } from "./method-path.js";

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
}

/** The message of every UNAUTHENTICATED refusal; it never says which check failed. */
export const UNAUTHENTICATED_MESSAGE = "missing or invalid access token";

// RFC 7235 credentials: scheme, one or more spaces, then the token (RFC 6750 b64token).
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+)$/;

/** Creates the interceptor; put it before the access interceptor. */
export function createAuthnInterceptor(options: AuthnInterceptorOptions): Interceptor {
  const { verifier, policy, onDenied } = options;
  return (next) => async (req) => {
    const path = methodPath(req);
    if (policy.lookup(path)?.rule?.kind === "public") return next(req);

    const deny = (reason: DenialReason, code: Code, message = UNAUTHENTICATED_MESSAGE) => {
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
      return new ConnectError(message, code);
    };

    const raw = req.contextValues.get(authorizationHeadersKey);
    const merged = req.header.get("authorization");
    const values = raw ?? (merged === null ? [] : [merged]);
    if (values.length === 0) throw deny("no-credentials", Code.Unauthenticated);
    if (values.length > 1) throw deny("multiple-authorization-headers", Code.Unauthenticated);

    const match = CREDENTIALS.exec(values[0]!.trim());
    if (!match) throw deny("malformed-authorization", Code.Unauthenticated);
    // The auth-scheme is case-insensitive (RFC 7235 §2.1), so "bearer" is accepted.
    if (match[1]!.toLowerCase() !== "bearer") throw deny("wrong-scheme", Code.Unauthenticated);

    try {
      req.contextValues.set(principalKey, await verifier.verify(match[2]!));
    } catch (err) {
      const reason = err instanceof TokenRejectedError ? err.reason : "jwks-unavailable";
      if (reason === "jwks-unavailable") {
        throw deny(reason, Code.Unavailable, "token keys unavailable, try again");
      }
      throw deny(reason, Code.Unauthenticated);
    }
    return next(req);
  };
}
