/**
 * Typed errors of the browser SDK.
 *
 * Every error here is built from fixed text plus non-secret facts (a reason code, an origin).
 * None of them keeps the error it was made from as `cause`: oidc-client-ts's `ErrorResponse`
 * carries the token request's form body (with the refresh token) in `.form`, so wrapping it
 * would leak the token into logs and error reporters.
 */

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

/**
 * Thrown when a transport or token source would send credentials over plaintext HTTP.
 * Raised before any request leaves.
 */
export class InsecureTransportError extends Error {
  override name = "InsecureTransportError";
  /** The refused origin (scheme, host and port only; never a path or query). */
  readonly origin: string;
  constructor(origin: string, detail: string) {
    super(`refusing to send credentials to ${origin}: ${detail}`);
    this.origin = origin;
  }
}

/**
 * The session cannot be renewed (refresh token rejected, revoked, missing, or the user signed
 * out). Calls fail fast with this (wrapped in a `ConnectError` with code `Unauthenticated`
 * by the interceptor) until the next sign-in. Test for it with {@link isSessionEnded}.
 */
export class SessionEndedError extends Error {
  override name = "SessionEndedError";
  readonly reason: SessionEndedReason;
  constructor(reason: SessionEndedReason) {
    super(`session ended (${reason}): sign in again`);
    this.reason = reason;
  }
}

/**
 * A refresh failed but the session is not over: the identity provider was unreachable
 * (`network`) or answered with a transient error (`idp-error`). The interceptor surfaces it as
 * a `ConnectError` with code `Unavailable`.
 */
export class TokenRefreshError extends Error {
  override name = "TokenRefreshError";
  readonly reason: RefreshErrorReason;
  /** The OAuth `error` code from the identity provider, when it sent one (e.g. `server_error`). */
  readonly idpError: string | undefined;
  constructor(reason: RefreshErrorReason, idpError?: string) {
    const code = safeCode(idpError);
    super(
      reason === "network"
        ? "token refresh failed: identity provider unreachable"
        : `token refresh failed: identity provider error${code ? ` (${code})` : ""}`,
    );
    this.reason = reason;
    this.idpError = code;
  }
}

function findInChain<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur !== undefined && cur !== null; depth++) {
    if (cur instanceof type) return cur;
    cur = (cur as { cause?: unknown }).cause;
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
  return findInChain(err, SessionEndedError) !== undefined;
}

/** The {@link SessionEndedError} in `err`'s cause chain, if any. */
export function sessionEndedReason(err: unknown): SessionEndedReason | undefined {
  return findInChain(err, SessionEndedError)?.reason;
}

/**
 * True when `err` (or its cause chain) is a transient refresh failure; `reason` tells
 * "identity provider unreachable" (`network`) from an IdP error.
 */
export function refreshErrorReason(err: unknown): RefreshErrorReason | undefined {
  return findInChain(err, TokenRefreshError)?.reason;
}

/**
 * Signing in failed (callback with an error, state mismatch, code exchange rejected). Carries
 * the OAuth `error` code when there is one, never the code, state or tokens.
 */
export class SignInError extends Error {
  override name = "SignInError";
  /** The OAuth `error` code (e.g. `access_denied`), when the failure had one. */
  readonly error: string | undefined;
  constructor(error?: string) {
    const code = safeCode(error);
    super(`sign-in failed${code ? ` (${code})` : ""}`);
    this.error = code;
  }
}
