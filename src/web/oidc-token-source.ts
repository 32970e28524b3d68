/**
 * `OidcTokenSource`: a {@link TokenSource} for an OpenID Provider (Authorization Code + PKCE,
 * refresh tokens), with single-flight refresh, cross-tab coordination under a Web Lock on a
 * store every tab sees at once, one clear "session ended" signal, and errors that never
 * carry a token.
 *
 * The protocol is `oidc-protocol.ts` (what oidc-client-ts's `OidcClient` did for earlier
 * versions, at a fifth of its weight); the token source does its own storage, refresh
 * scheduling and navigation. Refresh is on demand: `getToken()` refreshes when the token is
 * within `refreshLeewaySeconds` of expiry (`refresh-policy.ts`).
 *
 * The parts: `token-storage.ts` (where tokens live), `tab-lock.ts` (who refreshes),
 * `tab-channel.ts` (telling the other tabs), `refresh-policy.ts` (when), `session-info.ts`
 * (what the app may read). DPoP is opt-in through `grpc-web-oidc/dpop` (`dpop.ts`).
 */

import type { DpopSetup } from "./dpop.js";
import {
  SessionEndedError,
  type SessionEndedReason,
  SignInError,
  TokenRefreshError,
} from "./errors.js";
import {
  checkSettings,
  OAuthError,
  type OidcClientSettings,
  OidcProtocol,
  type SigninArgs,
  type StoredUser,
} from "./oidc-protocol.js";
import {
  classifyRefreshFailure,
  earlyRetryDelayMs,
  refreshDue,
  stillUsable,
  type TokenTiming,
} from "./refresh-policy.js";
import { assertSecureUrl } from "./secure-url.js";
import { jwtLifetimeMs, sessionInfo } from "./session-info.js";
import { abortable, singleFlight } from "./single-flight.js";
import { openTabChannel, type TabChannel, type TabMessage } from "./tab-channel.js";
import { inTabLock, type LockManagerLike, storageLeaseLock, webLocks } from "./tab-lock.js";
import {
  type AuthEvent,
  AuthEventEmitter,
  type DpopKeySource,
  type GetTokenOptions,
  type SessionInfo,
  type TokenSource,
} from "./token-source.js";
import { resolveTokenStorage, type TokenStorageChoice } from "./token-storage.js";
import type { StateStore } from "./web-store.js";

/** Arguments of {@link OidcTokenSource.signinRedirect}: per-request authorization parameters. */
export type SigninRedirectArgs = SigninArgs & {
  /**
   * How the page leaves for the identity provider: `location.assign` (a history entry) or
   * `location.replace`.
   *
   * @default "assign"
   */
  redirectMethod?: "assign" | "replace";
};

/** Options of {@link OidcTokenSource}. */
export interface OidcTokenSourceOptions {
  /**
   * The OpenID Provider's issuer URL (discovery is read from
   * `<authority>/.well-known/openid-configuration`). Must be https.
   *
   * @example
   * authority: "https://login.example.com/realms/main"
   */
  authority: string;
  /**
   * The public client's id at the identity provider.
   *
   * @example
   * clientId: "notes-spa"
   */
  clientId: string;
  /**
   * Where the identity provider sends the browser back with the code; the page there calls
   * `handleCallback()`.
   *
   * @example
   * redirectUri: `${location.origin}/callback`
   */
  redirectUri: string;
  /**
   * Where the identity provider sends the browser after `signOut({ redirect: true })`; unset,
   * the IdP shows its own page.
   *
   * @example
   * postLogoutRedirectUri: location.origin
   */
  postLogoutRedirectUri?: string;
  /**
   * Scopes to request. Keep `offline_access` to get a refresh token.
   *
   * @default "openid offline_access"
   * @example
   * scope: "openid offline_access notes.read"
   */
  scope?: string;
  /**
   * Resource indicator (RFC 8707) sent on the authorization request and on every refresh.
   *
   * @example
   * resource: "https://api.example.com"
   */
  resource?: string | string[];
  /**
   * Where tokens are kept: `"memory"` (lost on reload, invisible to other tabs), `"session"`
   * (sessionStorage: per tab, survives reload), `"local"` (shared by the origin's tabs, which
   * then coordinate refresh; kept in IndexedDB, which every tab sees at once, else
   * localStorage), or a `Storage` object of your own (treated as shared).
   *
   * @default "session"
   * @example
   * storage: "local"
   */
  storage?: TokenStorageChoice;
  /**
   * Refresh when the access token expires within this many seconds. When the token's own
   * lifetime (`exp` - `iat` of a JWT) is not longer than this, half the lifetime is used
   * instead, so short-lived tokens are not refreshed on every call.
   *
   * @default 30
   * @example
   * refreshLeewaySeconds: 60
   */
  refreshLeewaySeconds?: number;
  /**
   * The claim (in the access token, else the ID token) that lists the user's roles, for
   * `SessionInfo.roles`: a name or a dotted path into objects, read exactly as the backend kit
   * and the gateway read it (`ClaimSettings.rolesClaim`).
   *
   * @default "roles"
   * @example
   * rolesClaim: "realm_access.roles" // Keycloak
   */
  rolesClaim?: string;
  /**
   * Name of the cross-tab refresh lock (and broadcast channel).
   *
   * @default `grpc-web-oidc:<authority>:<clientId>`
   * @example
   * lockName: "my-app-refresh"
   */
  lockName?: string;
  /**
   * The lock manager for cross-tab refresh: `navigator.locks` when present; without it, a
   * lease in shared storage (best effort) or an in-tab mutex for private storage. Pass `null`
   * to force that fallback.
   *
   * @default navigator.locks
   * @example
   * locks: navigator.locks
   */
  locks?: LockManagerLike | null;
  /**
   * Allow an `http:` authority, but only on a loopback host, for local development.
   *
   * @default false
   * @example
   * allowInsecureLoopback: import.meta.env.DEV
   */
  allowInsecureLoopback?: boolean;
  /**
   * Protocol settings, under oidc-client-ts's `OidcClient` names (`extraQueryParams`,
   * `extraTokenParams`, `requestTimeoutInSeconds`, `response_mode`, `prompt`, `metadata`, …:
   * see {@link OidcClientSettings}). A name it does not honour is refused, not ignored.
   *
   * @example
   * oidcClientSettings: { extraQueryParams: { audience: "notes" } }
   */
  oidcClientSettings?: OidcClientSettings;
  /**
   * DPoP (RFC 9449): bind the tokens to a key pair the page cannot export. Opt-in by import,
   * so apps without DPoP do not ship its code: `import { dpop } from "grpc-web-oidc/dpop"`
   * and pass `dpop: dpop()`. The key (ECDSA P-256, private key not extractable) is kept
   * in IndexedDB, shared by the origin's tabs, and proven on every
   * token request (so the refresh token is bound too), and binds the authorization code to
   * it (`dpop_jkt`); `createOidcTransport` then sends a proof with every call. Signing out
   * deletes the key. The IdP must support DPoP.
   *
   * @example
   * dpop: dpop()
   */
  dpop?: DpopSetup;
}

function isNetworkError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === "TypeError" || name === "AbortError" || name === "TimeoutError";
}

/**
 * Tokens from an OpenID Connect provider, for `createOidcTransport`.
 *
 * @example
 * const tokens = new OidcTokenSource({ authority, clientId: "notes-spa", redirectUri });
 * if (location.search.includes("code=")) await tokens.handleCallback();
 * else if (!(await tokens.getSession())) await tokens.signinRedirect();
 */
export class OidcTokenSource implements TokenSource {
  /** With `dpop`: the key pair the tokens are bound to (see {@link DpopKeySource}). */
  readonly dpop?: DpopKeySource;
  readonly #client: OidcProtocol;
  readonly #clientId: string;
  /** oidc-client-ts's key for the stored user, so sessions stored by earlier versions load. */
  readonly #userKey: string;
  readonly #events = new AuthEventEmitter();
  readonly #leewayMs: number;
  readonly #rolesClaim: string;
  readonly #lockName: string;
  readonly #lock: LockManagerLike;
  readonly #userStore: StateStore;
  readonly #channel: TabChannel | undefined;
  readonly #dpop: DpopSetup | undefined;
  #cache: { raw: string; user: StoredUser; timing: TokenTiming } | undefined;
  #ended: SessionEndedReason | undefined;
  /** Consecutive transient refresh failures (IdP unreachable or erroring). */
  #transientFailures = 0;
  /** Until then, an early refresh (token still valid) is not attempted again. */
  #earlyRetryAt = 0;
  /** The access token this tab obtained last (to tell its own refreshes from other tabs'). */
  #ownToken: string | undefined;

  constructor(options: OidcTokenSourceOptions) {
    assertSecureUrl(options.authority, options.allowInsecureLoopback ?? false);
    const setup: unknown = options.dpop;
    if (setup !== undefined && (typeof setup !== "object" || setup === null)) {
      // `dpop: true` was the option before DPoP moved to its own entry point.
      throw new TypeError(
        'OidcTokenSource: dpop takes dpop() from "grpc-web-oidc/dpop" (import { dpop } from "grpc-web-oidc/dpop"; dpop: dpop())',
      );
    }
    this.#leewayMs = (options.refreshLeewaySeconds ?? 30) * 1000;
    this.#rolesClaim = options.rolesClaim ?? "roles";
    this.#lockName = options.lockName ?? `grpc-web-oidc:${options.authority}:${options.clientId}`;
    this.#dpop = options.dpop;

    const storage = resolveTokenStorage(options.storage ?? "session");
    this.#userStore = storage.userStore;
    const locks = options.locks === null ? undefined : (options.locks ?? webLocks());
    this.#lock =
      locks ?? (storage.leaseStorage ? storageLeaseLock(storage.leaseStorage) : inTabLock());

    checkSettings(options.oidcClientSettings);
    const client_id = options.clientId;
    const dpop = options.dpop;
    this.#clientId = client_id;
    this.#client = new OidcProtocol({
      ...options.oidcClientSettings,
      authority: options.authority,
      client_id,
      redirect_uri: options.redirectUri,
      post_logout_redirect_uri: options.postLogoutRedirectUri,
      scope: options.scope ?? "openid offline_access",
      resource: options.resource,
      // The sign-in state lives where the `storage` option says.
      stateStore: storage.stateStore,
      ...(dpop ? { dpop: (htu, nonce) => dpop.tokenProof(client_id, htu, nonce) } : {}),
    });
    this.#userKey = `user:${options.authority}:${client_id}`;
    if (dpop) {
      const store = dpop.store;
      const interceptor = dpop.interceptor;
      const keys = async (): Promise<CryptoKeyPair> => {
        // One key per client id, the one proven at the token endpoint.
        const state = await store.get(client_id);
        if (!state?.keys) throw new SessionEndedError("signed-out");
        return state.keys;
      };
      this.dpop = { keys, interceptor: () => interceptor(keys) };
    }
    if (storage.shared) {
      this.#channel = openTabChannel(`grpc-web-oidc:${this.#lockName}`, (m) => {
        void this.#fromOtherTab(m);
      });
    }
  }

  // ---- TokenSource ----

  async getToken(options: GetTokenOptions = {}): Promise<string> {
    if (this.#ended) throw new SessionEndedError(this.#ended);
    const now = Date.now();
    // The token this tab read last, while it is not due: re-reading the shared store costs an
    // IndexedDB transaction per call. A token another tab has replaced since is still valid
    // until its own expiry; the refresh path re-reads the store under the lock, a refresh
    // drops this copy, and other tabs' refreshes and sign-outs arrive on the tab channel.
    const held = this.#cache;
    const cached =
      held && !options.forceRefresh && !refreshDue(held.timing, this.#leewayMs, now)
        ? held
        : await this.#load();
    if (!cached) throw new SessionEndedError("signed-out");
    const { user, timing } = cached;
    if (!options.forceRefresh && !refreshDue(timing, this.#leewayMs, now)) {
      return user.access_token;
    }
    // An early refresh (the token is still valid) that fails transiently must not fail the
    // call, and must not be retried by every call while the IdP is down: keep using the
    // token and try again after a backoff (refresh-policy.ts).
    const early = !options.forceRefresh && stillUsable(timing, now);
    if (early && now < this.#earlyRetryAt) return user.access_token;
    try {
      const fresh = await abortable(
        this.#refresh(user.access_token, options.forceRefresh ?? false),
        options.signal,
      );
      return fresh.access_token;
    } catch (err) {
      if (early && err instanceof TokenRefreshError && stillUsable(timing, Date.now())) {
        return user.access_token;
      }
      throw err;
    }
  }

  subscribe(listener: (event: AuthEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  notify(event: AuthEvent): void {
    this.#events.emit(event);
  }

  // ---- sign-in and sign-out ----

  /**
   * Send the browser to the identity provider to sign in (code + PKCE; with DPoP the code is
   * bound to the key by `dpop_jkt`). The PKCE verifier and state wait in the state store for
   * `handleCallback()`. Never resolves while the page navigates away; rejects with
   * `SignInError` when the provider's metadata cannot be read or is refused.
   */
  async signinRedirect(args: SigninRedirectArgs = {}): Promise<void> {
    const { redirectMethod = "assign", ...rest } = args;
    let url: string;
    try {
      const dpopJkt = await this.#dpop?.jkt(this.#clientId);
      url = await this.#client.signinUrl(rest, dpopJkt);
    } catch (err) {
      // Discovery refused (issuer_mismatch) or unreachable: a SignInError like every sign-in
      // failure, not the protocol layer's internal OAuthError or a bare fetch TypeError.
      throw signInError(err);
    }
    await navigate(url, redirectMethod);
  }

  /**
   * Complete sign-in on the redirect page: exchanges the code (with the PKCE verifier),
   * stores the tokens, and removes `code` and `state` from the address bar. Throws
   * `SignInError` (without the code) on failure.
   */
  async handleCallback(url?: string): Promise<SessionInfo> {
    const loc = (globalThis as { location?: Location }).location;
    const href = url ?? loc?.href;
    if (!href) throw new SignInError("missing_callback_url");
    let user: StoredUser;
    try {
      user = await this.#client.callback(href);
      await this.#store(user);
    } catch (err) {
      throw signInError(err);
    } finally {
      if (loc && href === loc.href) stripCallbackParams(loc);
    }
    return this.#signedIn(user);
  }

  /**
   * Sign out: revoke the refresh and access tokens where the identity provider has a
   * revocation endpoint, clear storage (and the DPoP key), tell other tabs, and with
   * `redirect: true` go to the IdP's end-session endpoint.
   */
  async signOut(options: { redirect?: boolean } = {}): Promise<void> {
    const client = this.#client;
    // Read before the local session is cleared: the IdP's logout page wants it as a hint.
    const user = (await this.#load())?.user;
    // The refresh token first: it is the long-lived one. Each is tried on its own; revocation
    // is best effort: the local session ends either way.
    for (const [token, hint] of [
      [user?.refresh_token, "refresh_token"],
      [user?.access_token, "access_token"],
    ] as const) {
      if (token) await client.revoke(token, hint).catch(() => undefined);
    }
    await this.#end("signed-out");
    const url = options.redirect ? await client.signoutUrl(user?.id_token) : undefined;
    if (url) await navigate(url, "assign");
  }

  /** The current session (never a token), or undefined when signed out. */
  async getSession(): Promise<SessionInfo | undefined> {
    if (this.#ended) return undefined;
    const cached = await this.#load();
    return cached ? this.#info(cached.user) : undefined;
  }

  /** Stop listening to other tabs (for tests and app teardown). */
  close(): void {
    this.#channel?.close();
  }

  /** Keeps internals (and anything token-like) out of `JSON.stringify` output. */
  toJSON(): string {
    return "OidcTokenSource";
  }

  // ---- internals ----

  /** The stored user, read from the store every time (other tabs write it). */
  async #load(): Promise<{ user: StoredUser; timing: TokenTiming } | undefined> {
    const raw = await this.#userStore.get(this.#userKey);
    if (!raw) {
      this.#cache = undefined;
      return undefined;
    }
    if (this.#cache?.raw !== raw) {
      const user = JSON.parse(raw) as StoredUser;
      const timing: TokenTiming = {
        expiresAtMs: user.expires_at === undefined ? undefined : user.expires_at * 1000,
        lifetimeMs: jwtLifetimeMs(user.access_token),
      };
      this.#cache = { raw, user, timing };
    }
    return this.#cache;
  }

  /** Written in oidc-client-ts's format, under its key (as `User.toStorageString`). */
  async #store(user: StoredUser): Promise<void> {
    await this.#userStore.set(this.#userKey, JSON.stringify(user));
  }

  #info(user: StoredUser): SessionInfo {
    return sessionInfo(user, this.#rolesClaim);
  }

  #signedIn(user: StoredUser): SessionInfo {
    this.#ended = undefined;
    this.#cache = undefined;
    this.#transientFailures = 0;
    this.#earlyRetryAt = 0;
    this.#ownToken = user.access_token;
    const session = this.#info(user);
    this.#channel?.post({ type: "signed-in" });
    this.#events.emit({ type: "signed-in", session });
    return session;
  }

  /** One token request for all concurrent callers in this tab; one per lock across tabs. */
  #refresh(seen: string, force: boolean): Promise<StoredUser> {
    if (this.#ended) return Promise.reject(new SessionEndedError(this.#ended));
    return this.#refreshOnce(seen, force);
  }

  readonly #refreshOnce = singleFlight((seen: string, force: boolean) =>
    this.#lock.request(this.#lockName, () => this.#refreshLocked(seen, force)),
  );

  /**
   * Under the lock: read the store (every tab's completed write is visible there), and
   * refresh only if what is stored still needs it. The new tokens are stored (transaction
   * committed) before this returns and the lock is released.
   */
  async #refreshLocked(seen: string, force: boolean): Promise<StoredUser> {
    const stored = await this.#load();
    if (this.#ended) throw new SessionEndedError(this.#ended);
    if (!stored) throw await this.#end("signed-out");
    const { user } = stored;
    const changed = user.access_token !== seen;
    if ((changed || !force) && !refreshDue(stored.timing, this.#leewayMs, Date.now())) {
      if (changed && user.access_token !== this.#ownToken && !this.#channel?.connected) {
        this.#events.emit({ type: "refresh-done", source: "other-tab", session: this.#info(user) });
      }
      return user;
    }
    const refreshToken = user.refresh_token;
    if (!refreshToken) throw await this.#end("no-refresh-token");
    this.#events.emit({ type: "refresh-start" });
    let fresh: StoredUser;
    try {
      // The stored user is what the response is checked against (same subject), and keeps
      // what the response omits (a refresh token the IdP does not rotate, the ID token).
      fresh = await this.#client.refresh({ ...user, refresh_token: refreshToken });
      await this.#store(fresh);
    } catch (err) {
      throw await this.#refreshFailed(err);
    }
    this.#cache = undefined; // the next call reads what was just stored
    this.#transientFailures = 0;
    this.#earlyRetryAt = 0;
    this.#ownToken = fresh.access_token;
    this.#channel?.post({ type: "refreshed" });
    this.#events.emit({ type: "refresh-done", source: "this-tab", session: this.#info(fresh) });
    return fresh;
  }

  /** Classify a failed refresh; never keeps the original error (it may hold the token). */
  async #refreshFailed(err: unknown): Promise<Error> {
    const idpError = err instanceof OAuthError ? err.error : undefined;
    const outcome = classifyRefreshFailure(idpError, isNetworkError(err));
    if ("ended" in outcome) return await this.#end(outcome.ended);
    // Transient: back off early refreshes (see getToken).
    this.#transientFailures++;
    this.#earlyRetryAt = Date.now() + earlyRetryDelayMs(this.#transientFailures);
    this.#events.emit({ type: "refresh-error", reason: outcome.transient });
    return new TokenRefreshError(outcome.transient, idpError);
  }

  /** End the session: once per sign-in, clear storage, tell subscribers and other tabs. */
  async #end(reason: SessionEndedReason, fromOtherTab = false): Promise<SessionEndedError> {
    if (this.#ended === undefined) {
      this.#ended = reason;
      this.#cache = undefined;
      if (!fromOtherTab) {
        try {
          await this.#userStore.remove(this.#userKey);
          // The key the ended session's tokens were bound to goes with them.
          await this.#dpop?.store.remove(this.#clientId);
        } catch {
          // Storage failures must not hide the session end.
        }
        this.#channel?.post({ type: "session-ended", reason });
      }
      this.#events.emit({ type: "session-ended", reason });
    }
    return new SessionEndedError(this.#ended);
  }

  async #fromOtherTab(message: TabMessage): Promise<void> {
    if (message.type === "session-ended") {
      await this.#end(message.reason, true);
      return;
    }
    const cached = await this.#load();
    if (!cached) return;
    if (message.type === "signed-in") {
      this.#ended = undefined;
      this.#events.emit({ type: "signed-in", session: this.#info(cached.user) });
    } else if (!this.#ended) {
      this.#events.emit({
        type: "refresh-done",
        source: "other-tab",
        session: this.#info(cached.user),
      });
    }
  }
}

/**
 * Leave for `url`. The returned promise settles only if the page comes back from the
 * back-forward cache (`pageshow`), as oidc-client-ts's redirect navigator does: code after
 * `await signinRedirect()` must not run while the page is leaving.
 */
function navigate(url: string, method: "assign" | "replace"): Promise<void> {
  const g = globalThis as { location?: Location; addEventListener?: Window["addEventListener"] };
  if (!g.location) return Promise.reject(new SignInError("no_browser_location"));
  return new Promise((resolve) => {
    g.addEventListener?.("pageshow", () => resolve(), { once: true });
    g.location?.[method](url);
  });
}

function signInError(err: unknown): SignInError {
  if (err instanceof OAuthError) return new SignInError(err.error);
  if (err instanceof SignInError) return err;
  return new SignInError(isNetworkError(err) ? "network" : undefined);
}

function stripCallbackParams(loc: Location): void {
  const h = (globalThis as { history?: History }).history;
  if (!h) return;
  const u = new URL(loc.href);
  for (const p of ["code", "state", "session_state", "iss", "error", "error_description"]) {
    u.searchParams.delete(p);
  }
  if (/[#&](code|state|error)=/.test(u.hash)) u.hash = "";
  h.replaceState(h.state, "", u.toString());
}
