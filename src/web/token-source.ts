/**
 * The token source contract: where the auth interceptor gets access tokens from, and how an
 * app learns about sign-in, refresh and session end.
 */

import type { Interceptor } from "@connectrpc/connect";
import type { RefreshErrorReason, SessionEndedReason } from "./errors.js";

/** What the app may know about the signed-in session. Never contains a token. */
export interface SessionInfo {
  /** The `sub` claim of the signed-in user. */
  subject: string;
  /** Granted scopes. */
  scopes: string[];
  /** Roles read from the access token (or ID token) claim named by `rolesClaim`. */
  roles: string[];
  /** When the current access token expires, in epoch milliseconds. */
  expiresAt: number;
}

/** Events a {@link TokenSource} publishes to its subscribers. */
export type AuthEvent =
  | { type: "signed-in"; session: SessionInfo }
  /** This tab started a token request. */
  | { type: "refresh-start" }
  | { type: "refresh-done"; source: "this-tab" | "other-tab"; session: SessionInfo }
  /** A refresh failed transiently; the session is not over. */
  | { type: "refresh-error"; reason: RefreshErrorReason }
  /** The auth interceptor retried `method` after `UNAUTHENTICATED`. */
  | { type: "retry"; method: string }
  /** The session is over; published once until the next sign-in. */
  | { type: "session-ended"; reason: SessionEndedReason };

/** Options of {@link TokenSource.getToken}. */
export interface GetTokenOptions {
  /**
   * Get a new token even if the current one is not near expiry.
   *
   * @default false
   */
  forceRefresh?: boolean;
  /** Abandon waiting for a token (the shared refresh itself continues for other callers). */
  signal?: AbortSignal;
}

/** A source of access tokens. */
export interface TokenSource {
  /**
   * Resolve to a valid access token, refreshing first when needed. Rejects with
   * `SessionEndedError` when the session is over, `TokenRefreshError` when a refresh failed
   * transiently.
   */
  getToken(options?: GetTokenOptions): Promise<string>;
  /** Listen to {@link AuthEvent}s; returns the unsubscribe function. */
  subscribe(listener: (event: AuthEvent) => void): () => void;
  /**
   * Publish an event to this source's subscribers. Optional; the auth interceptor uses it to
   * report retries.
   */
  notify?(event: AuthEvent): void;
  /**
   * Set when the tokens are DPoP-bound (RFC 9449): the key pair they are bound to.
   * `createOidcTransport` then sends `Authorization: DPoP` and a proof per call.
   */
  readonly dpop?: DpopKeySource;
}

/** Where the key pair of DPoP-bound tokens comes from. */
export interface DpopKeySource {
  /**
   * The key pair the given access token is bound to. Its private key is not extractable.
   * Rejects when there is none (signed out, or the browser's storage was cleared).
   */
  keys(accessToken: string): Promise<CryptoKeyPair>;
  /**
   * A new per-call proof interceptor for these keys (`dpopInterceptor` from
   * `grpc-web-oidc/dpop`), which `createOidcTransport` installs: the transport itself does
   * not import the DPoP code, so apps without DPoP do not ship it.
   */
  interceptor(): Interceptor;
}

/** A tiny listener set shared by the token sources. */
export class AuthEventEmitter {
  readonly #listeners = new Set<(event: AuthEvent) => void>();

  subscribe(listener: (event: AuthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(event: AuthEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener must not break token delivery to the others.
      }
    }
  }
}

/**
 * A token source over a function you supply, for non-OIDC setups and tests. The function
 * receives `forceRefresh` and should return a new token when it is true. Concurrent calls are
 * not de-duplicated: wrap your function with `singleFlight` if it hits the network.
 *
 * @example
 * const tokens = tokenSourceFromFunction(async () => (await fetch("/token")).text());
 */
export function tokenSourceFromFunction(
  fn: (options: { forceRefresh: boolean; signal?: AbortSignal }) => Promise<string> | string,
): TokenSource {
  const events = new AuthEventEmitter();
  return {
    async getToken(options) {
      return await fn({ forceRefresh: options?.forceRefresh ?? false, signal: options?.signal });
    },
    subscribe: (listener) => events.subscribe(listener),
    notify: (event) => events.emit(event),
  };
}

/**
 * A token source that always returns the same token (service accounts, tests).
 *
 * @example
 * createOidcTransport({ baseUrl, tokens: new StaticTokenSource(token) });
 */
export class StaticTokenSource implements TokenSource {
  readonly #token: string;
  readonly #events = new AuthEventEmitter();
  constructor(token: string) {
    this.#token = token;
  }
  async getToken(): Promise<string> {
    return this.#token;
  }
  subscribe(listener: (event: AuthEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }
  notify(event: AuthEvent): void {
    this.#events.emit(event);
  }
  /** Keeps the token out of `JSON.stringify` and `util.inspect` output. */
  toJSON(): string {
    return "StaticTokenSource";
  }
}
