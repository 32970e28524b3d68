/**
 * Session mode: the gateway (Envoy's oauth2 filter) holds the tokens in HttpOnly cookies, so
 * this transport never sees one. It sends the cookies (`credentials: "include"`, since
 * connect-web 2.x has no credentials option), turns the gateway's UNAUTHENTICATED into the same
 * `session-ended` event and `SessionEndedError` as token mode, and signs in and out with
 * top-level navigations to the gateway. It imports nothing of oidc-client-ts.
 */

import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport, type GrpcWebTransportOptions } from "@connectrpc/connect-web";
import { SessionEndedError, type SessionEndedReason } from "./errors.js";
import { grpcWebFetch } from "./grpc-web-fetch.js";
import { assertSecureUrl } from "./secure-url.js";
import { type AuthEvent, AuthEventEmitter } from "./token-source.js";

/** Options of {@link GatewaySession}. */
export interface GatewaySessionOptions {
  /**
   * The gateway's origin (where `/oauth2/signin` and `/oauth2/signout` live); usually the
   * transport's `baseUrl`.
   *
   * @example
   * gateway: "https://api.example.com"
   */
  gateway: string;
  /** Path that signs in and returns to the app. @default "/oauth2/signin" */
  signInPath?: string;
  /** Path that clears the session cookies and ends the IdP session. @default "/oauth2/signout" */
  signOutPath?: string;
  /**
   * How a top-level navigation happens; a test or a framework router may replace it.
   * @default (url) => window.location.assign(url)
   */
  navigate?: (url: string) => void;
}

/**
 * The app's handle on a gateway session: sign in, sign out, and the `session-ended` event
 * (published once until a call succeeds again). It knows no token and no expiry: only whether
 * the gateway accepted the last call.
 *
 * @example
 * const session = new GatewaySession({ gateway: "https://api.example.com" });
 * session.subscribe((e) => { if (e.type === "session-ended") showSignInButton(); });
 */
export class GatewaySession {
  readonly #events = new AuthEventEmitter();
  readonly #signIn: string;
  readonly #signOut: string;
  readonly #navigate: (url: string) => void;
  #ended = false;

  constructor(options: GatewaySessionOptions) {
    this.#signIn = new URL(options.signInPath ?? "/oauth2/signin", options.gateway).href;
    this.#signOut = new URL(options.signOutPath ?? "/oauth2/signout", options.gateway).href;
    this.#navigate = options.navigate ?? ((url) => globalThis.location.assign(url));
  }

  /** Listen to `session-ended` (and nothing else today); returns the unsubscribe function. */
  subscribe(listener: (event: AuthEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  /** A top-level navigation to the gateway's sign-in; the gateway returns to the app. */
  signIn(): void {
    this.#navigate(this.#signIn);
  }

  /** A top-level navigation to the gateway's sign-out (cookies cleared, IdP session ended). */
  signOut(): void {
    this.#end("signed-out");
    this.#navigate(this.#signOut);
  }

  /** @internal The transport reports each call's outcome. */
  report(ok: boolean): void {
    if (ok) this.#ended = false;
    else this.#end("login_required");
  }

  #end(reason: SessionEndedReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#events.emit({ type: "session-ended", reason });
  }
}

/** Options of {@link createSessionTransport}: the gRPC-Web transport options plus these. */
export interface SessionTransportOptions extends GrpcWebTransportOptions {
  /**
   * The session the transport reports to (its `session-ended` event). Without one, calls still
   * fail with `SessionEndedError` in their cause.
   *
   * @example
   * session: new GatewaySession({ gateway: baseUrl })
   */
  session?: GatewaySession;
  /**
   * Allow a plaintext `http:` base URL to a loopback host, for development. Session cookies are
   * `Secure`, so they never travel over it anyway. @default false
   */
  allowInsecureLoopback?: boolean;
}

/** Wraps the gateway's UNAUTHENTICATED so `isSessionEnded(err)` holds, as in token mode. */
function sessionInterceptor(session: GatewaySession | undefined): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      session?.report(true);
      return res;
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.Unauthenticated) {
        session?.report(false);
        const ended = new SessionEndedError("login_required");
        throw new ConnectError(ended.message, Code.Unauthenticated, err.metadata, undefined, ended);
      }
      throw err;
    }
  };
}

/**
 * Create a gRPC-Web `Transport` for a gateway in session mode: the browser's session cookies go
 * with every call (same-origin or, with CORS credentials, cross-origin), no token is ever read
 * or attached, and UNAUTHENTICATED from the gateway reads as a `SessionEndedError`.
 *
 * @example
 * const session = new GatewaySession({ gateway: "https://api.example.com" });
 * const transport = createSessionTransport({ baseUrl: "https://api.example.com", session });
 * const client = createClient(NotesService, transport);
 */
export function createSessionTransport(options: SessionTransportOptions): Transport {
  const { session, allowInsecureLoopback = false, interceptors = [], ...rest } = options;
  assertSecureUrl(options.baseUrl, allowInsecureLoopback);
  const fixed = grpcWebFetch(options.fetch);
  return createGrpcWebTransport({
    ...rest,
    interceptors: [...interceptors, sessionInterceptor(session)],
    fetch: (input, init) => {
      const url = typeof input === "string" || input instanceof URL ? input : input.url;
      assertSecureUrl(url, allowInsecureLoopback);
      // The cookies are the credentials; "include" also sends them cross-origin (CORS with
      // allow_credentials and an exact origin at the gateway).
      return fixed(input, { ...init, credentials: "include" });
    },
  });
}
