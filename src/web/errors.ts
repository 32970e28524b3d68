/**
 * Typed errors of the browser SDK.
 *
 * Every error carries a `code` from {@link ErrorCode} (as jose's `JOSEError.code`): test with
 * `switch (err.code)` or the `is…` helpers below, which read `code` and not the class, so
 * they also work when a bundle holds two copies of this package (where `instanceof` fails).
 *
 * Every error here is built from fixed text plus non-secret facts (a reason code, an origin).
 * None of them keeps the error it was made from as `cause`: a network error or an OIDC
 * library's error (oidc-client-ts's `ErrorResponse` carries the token request's form body, with
 * the refresh token, in `.form`) could carry a token into logs and error reporters.
 */

/** The `code` of every error the SDK throws. */
export type ErrorCode =
  | "ERR_INSECURE_TRANSPORT"
  | "ERR_SESSION_ENDED"
  | "ERR_TOKEN_REFRESH"
  | "ERR_SIGN_IN"
  | "ERR_STORAGE_UNAVAILABLE";

/** Why a session ended for good. The app should send the user to sign in again. */
export type SessionEndedReason =
  | "invalid_grant"
  | "login_required"
  | "no-refresh-token"
  | "signed-out"
  | "revoked";

/** Why a refresh failed without ending the session (it may succeed later). */
export type RefreshErrorReason = "network" | "idp-error";

/** An OAuth `error` code fit for a message (word characters, `.`, `-`; at most 64), else undefined. */
function safeCode(code: string | undefined): string | undefined {
  return code !== undefined && /^[\w.-]{1,64}$/.test(code) ? code : undefined;
}

/** The base of every SDK error. */
export class GrpcWebOidcError extends Error {
  /** Which error this is; stable across versions and across copies of the package. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Thrown when a transport or token source would send credentials over plaintext HTTP.
 * Raised before any request leaves.
 */
export class InsecureTransportError extends GrpcWebOidcError {
  override name = "InsecureTransportError";
  declare readonly code: "ERR_INSECURE_TRANSPORT";
  /** The refused origin (scheme, host and port only; never a path or query). */
  readonly origin: string;
  constructor(origin: string, detail: string) {
    super("ERR_INSECURE_TRANSPORT", `refusing to send credentials to ${origin}: ${detail}`);
    this.origin = origin;
  }
}

/**
 * The session cannot be renewed (refresh token rejected, revoked, missing, or the user signed
 * out). Calls fail fast with this (wrapped in a `ConnectError` with code `Unauthenticated`
 * by the interceptor) until the next sign-in. Test for it with {@link isSessionEnded}.
 */
export class SessionEndedError extends GrpcWebOidcError {
  override name = "SessionEndedError";
  declare readonly code: "ERR_SESSION_ENDED";
  readonly reason: SessionEndedReason;
  constructor(reason: SessionEndedReason) {
    super("ERR_SESSION_ENDED", `session ended (${reason}): sign in again`);
    this.reason = reason;
  }
}

/**
 * A refresh failed but the session is not over: the identity provider was unreachable
 * (`network`) or answered with a transient error (`idp-error`). The interceptor surfaces it as
 * a `ConnectError` with code `Unavailable`.
 */
export class TokenRefreshError extends GrpcWebOidcError {
  override name = "TokenRefreshError";
  declare readonly code: "ERR_TOKEN_REFRESH";
  readonly reason: RefreshErrorReason;
  /** The OAuth `error` code from the identity provider, when it sent one (e.g. `server_error`). */
  readonly idpError: string | undefined;
  constructor(reason: RefreshErrorReason, idpError?: string) {
    const code = safeCode(idpError);
    super(
      "ERR_TOKEN_REFRESH",
      reason === "network"
        ? "token refresh failed: identity provider unreachable"
        : `token refresh failed: identity provider error${code ? ` (${code})` : ""}`,
    );
    this.reason = reason;
    this.idpError = code;
  }
}

/**
 * Signing in failed (callback with an error, state mismatch, code exchange rejected). Carries
 * the OAuth `error` code when there is one, never the code, state or tokens.
 */
export class SignInError extends GrpcWebOidcError {
  override name = "SignInError";
  declare readonly code: "ERR_SIGN_IN";
  /** The OAuth `error` code (e.g. `access_denied`), when the failure had one. */
  readonly error: string | undefined;
  constructor(error?: string) {
    const code = safeCode(error);
    super("ERR_SIGN_IN", `sign-in failed${code ? ` (${code})` : ""}`);
    this.error = code;
  }
}

/** The chosen token storage does not exist here (e.g. `"session"` outside a browser). */
export class StorageUnavailableError extends GrpcWebOidcError {
  override name = "StorageUnavailableError";
  declare readonly code: "ERR_STORAGE_UNAVAILABLE";
  constructor(storage: string) {
    super("ERR_STORAGE_UNAVAILABLE", `storage "${storage}" is not available here; use "memory"`);
  }
}

/** The first error in `err`'s `cause` chain (e.g. under a `ConnectError`) with `code`. */
function findCode(err: unknown, code: ErrorCode): Record<string, unknown> | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && typeof cur === "object" && cur !== null; depth++) {
    const e = cur as Record<string, unknown>;
    if (e.code === code) return e;
    cur = e.cause;
  }
  return undefined;
}

/**
 * True when `err` (or its `cause` chain, e.g. a `ConnectError` from a client call) says the
 * session ended and the user must sign in again.
 *
 * @example
 * try { await client.listNotes({}); } catch (e) { if (isSessionEnded(e)) await tokens.signinRedirect(); }
 */
export function isSessionEnded(err: unknown): boolean {
  return findCode(err, "ERR_SESSION_ENDED") !== undefined;
}

/** The reason of the session-ended error in `err`'s cause chain, if any. */
export function sessionEndedReason(err: unknown): SessionEndedReason | undefined {
  return findCode(err, "ERR_SESSION_ENDED")?.reason as SessionEndedReason | undefined;
}

/**
 * The reason of the transient refresh failure in `err`'s cause chain, if any: `network`
 * (identity provider unreachable) or `idp-error`.
 */
export function refreshErrorReason(err: unknown): RefreshErrorReason | undefined {
  return findCode(err, "ERR_TOKEN_REFRESH")?.reason as RefreshErrorReason | undefined;
}
