/**
 * `OidcTokenSource`: a {@link TokenSource} on oidc-client-ts (Authorization Code + PKCE),
 * adding what oidc-client-ts lacks: single-flight refresh, cross-tab coordination under a Web
 * Lock, one clear "session ended" signal, and errors that never carry a token.
 *
 * Refresh is on demand: `getToken()` refreshes when the token is within `refreshLeewaySeconds`
 * of expiry. oidc-client-ts's own timer (`automaticSilentRenew`) is off by default, because one
 * timer per tab renews N times for N tabs, and it renews every second when the token TTL is at
 * or below its 60 s window. If you turn it on through `userManagerSettings`, it still goes
 * through the same single-flight and lock: this class replaces the instance's `signinSilent`,
 * which is the only thing the timer calls.
 */

import {
  ErrorResponse,
  ErrorTimeout,
  InMemoryWebStorage,
  type SigninPopupArgs,
  type SigninRedirectArgs,
  type SigninSilentArgs,
  User,
  UserManager,
  type UserManagerSettings,
  WebStorageStateStore,
} from "oidc-client-ts";
import {
  SessionEndedError,
  type SessionEndedReason,
  SignInError,
  TokenRefreshError,
} from "./errors.js";
import { assertSecureUrl } from "./secure-url.js";
import { abortable, singleFlight } from "./single-flight.js";
import {
  inTabLock,
  type LockManagerLike,
  type StorageLike,
  storageLeaseLock,
  webLocks,
} from "./tab-lock.js";
import {
  type AuthEvent,
  AuthEventEmitter,
  type GetTokenOptions,
  type SessionInfo,
  type TokenSource,
} from "./token-source.js";

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
   * Where the identity provider sends the browser after `signOut({ redirect: true })`.
   * Default: none (the IdP's default page).
   *
   * @example
   * postLogoutRedirectUri: location.origin
   */
  postLogoutRedirectUri?: string;
  /**
   * Scopes to request. Keep `offline_access` to get a refresh token.
   * Default: `"openid offline_access"`.
   *
   * @example
   * scope: "openid offline_access notes.read"
   */
  scope?: string;
  /**
   * Resource indicator (RFC 8707) sent on every token request, including refreshes (which
   * oidc-client-ts alone does not do). Default: none.
   *
   * @example
   * resource: "https://api.example.com"
   */
  resource?: string | string[];
  /**
   * Where tokens are kept: `"memory"` (lost on reload, invisible to other tabs), `"session"`
   * (sessionStorage: per tab, survives reload), `"local"` (localStorage: shared by the
   * origin's tabs, which then coordinate refresh), or a `Storage` object of your own (treated
   * as shared). Default: `"session"`.
   *
   * @example
   * storage: "local"
   */
  storage?: "memory" | "session" | "local" | Storage;
  /**
   * Refresh when the access token expires within this many seconds. When the token's own
   * lifetime (`exp` - `iat` of a JWT) is not longer than this, half the lifetime is used
   * instead, so short-lived tokens are not refreshed on every call. Default: 30.
   *
   * @example
   * refreshLeewaySeconds: 60
   */
  refreshLeewaySeconds?: number;
  /**
   * The claim (in the access token, else the ID token) that lists the user's roles, for
   * `SessionInfo.roles`. Default: `"roles"`.
   *
   * @example
   * rolesClaim: "realm_roles"
   */
  rolesClaim?: string;
  /**
   * Name of the cross-tab refresh lock (and broadcast channel).
   * Default: `grpc-web-oidc:<authority>:<clientId>`.
   *
   * @example
   * lockName: "my-app-refresh"
   */
  lockName?: string;
  /**
   * The lock manager for cross-tab refresh. Default: `navigator.locks` when present; without
   * it, a lease in shared storage (best effort) or an in-tab mutex for private storage. Pass
   * `null` to force that fallback.
   *
   * @example
   * locks: navigator.locks
   */
  locks?: LockManagerLike | null;
  /**
   * Allow an `http:` authority, but only on a loopback host, for local development.
   * Default: false.
   *
   * @example
   * allowInsecureLoopback: import.meta.env.DEV
   */
  allowInsecureLoopback?: boolean;
  /**
   * Extra oidc-client-ts settings, applied last except `userStore` and `stateStore`, which the
   * `storage` option decides (e.g. `extraQueryParams`). Setting
   * `silent_redirect_uri` enables renewal by hidden iframe (`prompt=none`) when there is no
   * refresh token; without it, an expired session without a refresh token ends
   * (`no-refresh-token`). `automaticSilentRenew: true` is routed through the same
   * single-flight and lock. Default: none.
   *
   * @example
   * userManagerSettings: { extraQueryParams: { audience: "notes" } }
   */
  userManagerSettings?: Partial<UserManagerSettings>;
}

/** Messages between tabs. Never carries a token: tabs re-read shared storage instead. */
type TabMessage =
  | { type: "refreshed" }
  | { type: "signed-in" }
  | { type: "session-ended"; reason: SessionEndedReason };

const endingErrors: Record<string, SessionEndedReason> = {
  invalid_grant: "invalid_grant",
  login_required: "login_required",
  interaction_required: "login_required",
  consent_required: "login_required",
  account_selection_required: "login_required",
};

function decodeJwtPayload(token: string | undefined): Record<string, unknown> | undefined {
  const part = token?.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)),
    );
    const v = JSON.parse(json) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function listClaim(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  return undefined;
}

function isNetworkError(err: unknown): boolean {
  if (err instanceof ErrorTimeout) return true;
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
  /** The underlying oidc-client-ts `UserManager` (escape hatch; its `signinSilent` is routed). */
  readonly userManager: UserManager;
  readonly #events = new AuthEventEmitter();
  readonly #leewayMs: number;
  readonly #rolesClaim: string;
  readonly #resource: string | string[] | undefined;
  readonly #lockName: string;
  readonly #lock: LockManagerLike;
  readonly #userStore: WebStorageStateStore;
  readonly #userKey: string;
  readonly #rawSigninSilent: (args?: SigninSilentArgs) => Promise<User | null>;
  readonly #channel: BroadcastChannel | undefined;
  readonly #cleanup: (() => void)[] = [];
  #cache: { raw: string; user: User } | undefined;
  #ended: SessionEndedReason | undefined;
  /** Consecutive transient refresh failures (IdP unreachable or erroring). */
  #transientFailures = 0;
  /** Until then, an early refresh (token still valid) is not attempted again. */
  #earlyRetryAt = 0;
  #ownToken: string | undefined;
  /** Renew without a refresh token by a hidden iframe (prompt=none) only when asked for. */
  readonly #iframeRenew: boolean;

  constructor(options: OidcTokenSourceOptions) {
    assertSecureUrl(options.authority, options.allowInsecureLoopback ?? false);
    this.#leewayMs = (options.refreshLeewaySeconds ?? 30) * 1000;
    this.#rolesClaim = options.rolesClaim ?? "roles";
    this.#iframeRenew = options.userManagerSettings?.silent_redirect_uri !== undefined;
    this.#resource = options.resource;
    this.#lockName = options.lockName ?? `grpc-web-oidc:${options.authority}:${options.clientId}`;

    const { store, shared } = resolveStorage(options.storage ?? "session");
    this.#userStore = new WebStorageStateStore({ store });
    const g = globalThis as { sessionStorage?: Storage };
    const stateStore = new WebStorageStateStore({
      store: options.storage === "memory" ? (g.sessionStorage ?? store) : store,
    });
    const locks = options.locks === null ? undefined : (options.locks ?? webLocks());
    this.#lock = locks ?? (shared ? storageLeaseLock(store as StorageLike) : inTabLock());

    this.userManager = new UserManager({
      authority: options.authority,
      client_id: options.clientId,
      redirect_uri: options.redirectUri,
      post_logout_redirect_uri: options.postLogoutRedirectUri,
      scope: options.scope ?? "openid offline_access",
      response_type: "code",
      resource: options.resource,
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
      ...options.userManagerSettings,
      // Ours, always: refresh coordination reads and writes exactly this store.
      userStore: this.#userStore,
      stateStore,
    });
    this.#userKey = `user:${this.userManager.settings.authority}:${this.userManager.settings.client_id}`;

    // Route every silent renew - the app's, and oidc-client-ts's timer's - through our refresh.
    const um = this.userManager;
    this.#rawSigninSilent = um.signinSilent.bind(um);
    const renewWindowMs = Math.max(
      this.#leewayMs,
      um.settings.accessTokenExpiringNotificationTimeInSeconds * 1000,
    );
    um.signinSilent = async (args?: SigninSilentArgs) => {
      const user = await this.#load();
      if (!user) return await this.#rawSigninSilent(args);
      return await this.#refresh(user.access_token, false, renewWindowMs, args);
    };

    if (shared) this.#channel = this.#listenToOtherTabs(store);
  }

  // ---- TokenSource ----

  async getToken(options: GetTokenOptions = {}): Promise<string> {
    if (this.#ended) throw new SessionEndedError(this.#ended);
    const user = await this.#load();
    if (!user) throw new SessionEndedError("signed-out");
    if (!options.forceRefresh && !this.#needsRefresh(user, this.#leewayMs)) {
      return user.access_token;
    }
    // An early refresh (the token is still valid) that fails transiently must not fail the
    // call, and must not be retried by every call while the IdP is down: keep using the
    // token and try again after a backoff (1 s, 2 s, 4 s … 30 s).
    const early = !options.forceRefresh && isStillUsable(user);
    if (early && Date.now() < this.#earlyRetryAt) return user.access_token;
    try {
      const fresh = await abortable(
        this.#refresh(user.access_token, options.forceRefresh ?? false, this.#leewayMs),
        options.signal,
      );
      return fresh.access_token;
    } catch (err) {
      if (early && err instanceof TokenRefreshError && isStillUsable(user)) {
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

  /** Send the browser to the identity provider to sign in (code + PKCE). */
  async signinRedirect(args?: SigninRedirectArgs): Promise<void> {
    await this.userManager.signinRedirect(this.#withResource(args));
  }

  /** Sign in in a popup window; resolves when the popup completed. */
  async signinPopup(args?: SigninPopupArgs): Promise<void> {
    let user: User;
    try {
      user = await this.userManager.signinPopup(this.#withResource(args));
    } catch (err) {
      throw signInError(err);
    }
    this.#signedIn(user);
  }

  /**
   * Complete sign-in on the redirect page: exchanges the code (with the PKCE verifier),
   * stores the tokens, and removes `code` and `state` from the address bar. Throws
   * `SignInError` (without the code) on failure. On a popup's callback page it hands the
   * result to the opening window (whose `signinPopup()` resolves) and then rejects with
   * `SignInError("not_a_redirect_callback")`, since there is no session to return there.
   */
  async handleCallback(url?: string): Promise<SessionInfo> {
    const loc = (globalThis as { location?: Location }).location;
    const href = url ?? loc?.href;
    if (!href) throw new SignInError("missing_callback_url");
    let user: User | undefined;
    try {
      user = await this.userManager.signinCallback(href);
    } catch (err) {
      throw signInError(err);
    } finally {
      if (loc && href === loc.href) stripCallbackParams(loc);
    }
    if (!user) throw new SignInError("not_a_redirect_callback");
    return this.#signedIn(user);
  }

  /**
   * Sign out: revoke the refresh and access tokens where the identity provider has a
   * revocation endpoint, clear storage, tell other tabs, and with `redirect: true` go to the
   * IdP's end-session endpoint.
   */
  async signOut(options: { redirect?: boolean } = {}): Promise<void> {
    const um = this.userManager;
    // Read before the local session is cleared: the IdP's logout page wants it as a hint.
    const idToken = (await this.#load())?.id_token;
    try {
      if (await um.metadataService.getRevocationEndpoint(true)) {
        await um.revokeTokens(["refresh_token", "access_token"]);
      }
    } catch {
      // Revocation is best effort: the local session ends either way.
    }
    await this.#end("signed-out");
    if (options.redirect) await um.signoutRedirect(idToken ? { id_token_hint: idToken } : {});
  }

  /** The current session (never a token), or undefined when signed out. */
  async getSession(): Promise<SessionInfo | undefined> {
    if (this.#ended) return undefined;
    const user = await this.#load();
    return user ? this.#info(user) : undefined;
  }

  /** Stop listening to other tabs (for tests and app teardown). */
  close(): void {
    this.#channel?.close();
    for (const fn of this.#cleanup.splice(0)) fn();
    this.userManager.stopSilentRenew();
  }

  /** Keeps internals (and anything token-like) out of `JSON.stringify` output. */
  toJSON(): string {
    return "OidcTokenSource";
  }

  // ---- internals ----

  async #load(): Promise<User | null> {
    const raw = await this.#userStore.get(this.#userKey);
    if (!raw) {
      this.#cache = undefined;
      return null;
    }
    if (this.#cache?.raw !== raw) this.#cache = { raw, user: User.fromStorageString(raw) };
    return this.#cache.user;
  }

  #needsRefresh(user: User, leewayMs: number): boolean {
    if (user.expires_at === undefined) return false;
    // A leeway at or above the token's lifetime would refresh on every call: use half the
    // lifetime then.
    const lifetimeMs = this.#lifetimeMs(user);
    const leeway = lifetimeMs !== undefined && leewayMs >= lifetimeMs ? lifetimeMs / 2 : leewayMs;
    return user.expires_at * 1000 - Date.now() <= leeway;
  }

  #lifetime: { token: string; ms: number | undefined } | undefined;
  #lifetimeMs(user: User): number | undefined {
    if (this.#lifetime?.token !== user.access_token) {
      const c = decodeJwtPayload(user.access_token);
      const ms =
        typeof c?.iat === "number" && typeof c.exp === "number"
          ? (c.exp - c.iat) * 1000
          : undefined;
      this.#lifetime = {
        token: user.access_token,
        ms: ms !== undefined && ms > 0 ? ms : undefined,
      };
    }
    return this.#lifetime.ms;
  }

  #info(user: User): SessionInfo {
    const claims = decodeJwtPayload(user.access_token);
    const profile = user.profile as Record<string, unknown>;
    return {
      subject: typeof profile.sub === "string" ? profile.sub : String(claims?.sub ?? ""),
      scopes: user.scope ? user.scope.split(" ").filter(Boolean) : [],
      roles: listClaim(claims?.[this.#rolesClaim]) ?? listClaim(profile[this.#rolesClaim]) ?? [],
      expiresAt: (user.expires_at ?? 0) * 1000,
    };
  }

  #withResource<T extends { resource?: string | string[] }>(args: T | undefined): T {
    const a = (args ?? {}) as T;
    return this.#resource !== undefined && a.resource === undefined
      ? { ...a, resource: this.#resource }
      : a;
  }

  #signedIn(user: User): SessionInfo {
    this.#ended = undefined;
    this.#transientFailures = 0;
    this.#earlyRetryAt = 0;
    this.#ownToken = user.access_token;
    const session = this.#info(user);
    this.#post({ type: "signed-in" });
    this.#events.emit({ type: "signed-in", session });
    return session;
  }

  /** One token request for all concurrent callers in this tab; one per lock across tabs. */
  #refresh(seen: string, force: boolean, leewayMs: number, args?: SigninSilentArgs): Promise<User> {
    if (this.#ended) return Promise.reject(new SessionEndedError(this.#ended));
    return this.#refreshOnce(seen, force, leewayMs, args);
  }

  readonly #refreshOnce = singleFlight(
    (seen: string, force: boolean, leewayMs: number, args?: SigninSilentArgs) =>
      this.#lock.request(this.#lockName, () => this.#refreshLocked(seen, force, leewayMs, args)),
  );

  async #refreshLocked(
    seen: string,
    force: boolean,
    leewayMs: number,
    args?: SigninSilentArgs,
  ): Promise<User> {
    // Re-read under the lock: another tab may have refreshed (and rotated) while we waited.
    const stored = await this.#load();
    if (this.#ended) throw new SessionEndedError(this.#ended);
    if (!stored) throw await this.#end("signed-out");
    const changed = stored.access_token !== seen;
    if ((changed || !force) && !this.#needsRefresh(stored, leewayMs)) {
      if (changed && stored.access_token !== this.#ownToken && !this.#channel) {
        this.#events.emit({
          type: "refresh-done",
          source: "other-tab",
          session: this.#info(stored),
        });
      }
      return stored;
    }
    if (!stored.refresh_token && !this.#iframeRenew) {
      throw await this.#end("no-refresh-token");
    }
    this.#events.emit({ type: "refresh-start" });
    let user: User | null;
    try {
      user = await this.#rawSigninSilent(this.#withResource(args));
    } catch (err) {
      throw await this.#refreshFailed(err);
    }
    if (!user) throw await this.#refreshFailed(undefined);
    this.#transientFailures = 0;
    this.#earlyRetryAt = 0;
    this.#ownToken = user.access_token;
    this.#post({ type: "refreshed" });
    this.#events.emit({ type: "refresh-done", source: "this-tab", session: this.#info(user) });
    return user;
  }

  /** Classify a failed refresh; never keeps the original error (it may hold the token). */
  async #refreshFailed(err: unknown): Promise<Error> {
    const idpError = err instanceof ErrorResponse ? (err.error ?? undefined) : undefined;
    const ending = idpError === undefined ? undefined : endingErrors[idpError];
    if (ending) return await this.#end(ending);
    // Transient: back off early refreshes (see getToken).
    this.#transientFailures++;
    const backoffMs = Math.min(1000 * 2 ** (this.#transientFailures - 1), MAX_EARLY_RETRY_MS);
    this.#earlyRetryAt = Date.now() + backoffMs;
    const reason = isNetworkError(err) ? "network" : "idp-error";
    this.#events.emit({ type: "refresh-error", reason });
    return new TokenRefreshError(reason, idpError);
  }

  /** End the session: once per sign-in, clear storage, tell subscribers and other tabs. */
  async #end(reason: SessionEndedReason, fromOtherTab = false): Promise<SessionEndedError> {
    if (this.#ended === undefined) {
      this.#ended = reason;
      this.#cache = undefined;
      if (!fromOtherTab) {
        try {
          await this.userManager.removeUser();
        } catch {
          // Storage failures must not hide the session end.
        }
        this.#post({ type: "session-ended", reason });
      }
      this.#events.emit({ type: "session-ended", reason });
    }
    return new SessionEndedError(this.#ended);
  }

  #post(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A closed channel only means no other tab hears about it.
    }
  }

  #listenToOtherTabs(store: Storage): BroadcastChannel | undefined {
    const onMessage = async (msg: TabMessage) => {
      if (msg.type === "session-ended") {
        await this.#end(msg.reason, true);
        return;
      }
      const user = await this.#load();
      if (!user) return;
      if (msg.type === "signed-in") {
        this.#ended = undefined;
        this.#events.emit({ type: "signed-in", session: this.#info(user) });
      } else if (!this.#ended) {
        this.#events.emit({ type: "refresh-done", source: "other-tab", session: this.#info(user) });
      }
      // Re-arm oidc-client-ts's expiry events for the token the other tab stored.
      await this.userManager.getUser();
    };
    if (typeof BroadcastChannel === "function") {
      const channel = new BroadcastChannel(`grpc-web-oidc:${this.#lockName}`);
      channel.onmessage = (e: MessageEvent<TabMessage>) => void onMessage(e.data);
      return channel;
    }
    // No BroadcastChannel: the `storage` event tells us when another tab wrote the user.
    const w = globalThis as {
      addEventListener?: (t: string, l: (e: StorageEvent) => void) => void;
      removeEventListener?: (t: string, l: (e: StorageEvent) => void) => void;
    };
    if (typeof w.addEventListener === "function") {
      const key = `oidc.${this.#userKey}`;
      const listener = (e: StorageEvent) => {
        if (e.storageArea !== store || e.key !== key) return;
        void onMessage(
          e.newValue === null
            ? { type: "session-ended", reason: "signed-out" }
            : { type: this.#ended ? "signed-in" : "refreshed" },
        );
      };
      w.addEventListener("storage", listener);
      this.#cleanup.push(() => w.removeEventListener?.("storage", listener));
    }
    return undefined;
  }
}

const MAX_EARLY_RETRY_MS = 30_000;

/**
 * While a refresh fails transiently, the current token is sent until it expires by the local
 * clock: servers allow some clock skew (jose's `clockTolerance`, Envoy's `clock_skew_seconds`),
 * and one that rejects it answers UNAUTHENTICATED, which the interceptor handles.
 */
function isStillUsable(user: User): boolean {
  return user.expires_at !== undefined && user.expires_at * 1000 > Date.now();
}

function resolveStorage(choice: OidcTokenSourceOptions["storage"]): {
  store: Storage;
  shared: boolean;
} {
  if (choice === undefined || typeof choice === "string") {
    if (choice === "memory") return { store: new InMemoryWebStorage(), shared: false };
    const g = globalThis as { sessionStorage?: Storage; localStorage?: Storage };
    const store = choice === "local" ? g.localStorage : g.sessionStorage;
    if (!store) {
      throw new TypeError(`storage "${choice ?? "session"}" is not available here; use "memory"`);
    }
    return { store, shared: choice === "local" };
  }
  return { store: choice, shared: true };
}

function signInError(err: unknown): SignInError {
  if (err instanceof ErrorResponse) return new SignInError(err.error ?? undefined);
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
