// OidcTokenSource (its own OIDC protocol layer) against a real loopback OIDC stub (rotation + reuse
// detection), and through createOidcTransport against a real loopback gRPC-Web server.
import { Code, ConnectError } from "@connectrpc/connect";
import { InMemoryWebStorage } from "oidc-client-ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AuthEvent,
  isSessionEnded,
  OidcTokenSource,
  type OidcTokenSourceOptions,
  refreshErrorReason,
  SessionEndedError,
  sessionEndedReason,
  TokenRefreshError,
} from "../../src/web/index.js";
import { healthClient, startGrpcWebServer } from "./helpers/servers.js";
import { StubIdp } from "./helpers/stub-idp.js";
import { installWindowShim } from "./helpers/window-shim.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function idp(options: ConstructorParameters<typeof StubIdp>[0] = {}): Promise<StubIdp> {
  const p = await new StubIdp(options).start();
  cleanups.push(() => p.stop());
  return p;
}

function tab(p: StubIdp, storage: Storage, extra: Partial<OidcTokenSourceOptions> = {}) {
  const t = new OidcTokenSource({ ...p.tokenSourceOptions(storage), ...extra });
  const events: AuthEvent[] = [];
  t.subscribe((e) => events.push(e));
  cleanups.push(() => t.close());
  return { t, events };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("refresh", () => {
  it("refreshes once for 1,000 concurrent calls on an expired token", async () => {
    const p = await idp({ tokenDelayMs: 50 });
    const { storage, user } = p.storageWithSession("alice", { expired: true });
    const { t } = tab(p, storage);
    const srv = await startGrpcWebServer({});
    cleanups.push(() => srv.stop());
    const client = healthClient(srv.url, t);
    await Promise.all(Array.from({ length: 1000 }, () => client.check({})));
    expect(p.tokenRequests).toBe(1);
    const auths = new Set(srv.seen.map((s) => s.authorization));
    expect(srv.seen).toHaveLength(1000);
    expect(auths.size).toBe(1);
    expect([...auths][0]).not.toBe(`Bearer ${user.access_token}`);
  });

  it("refreshes first when the token is within the leeway, not when it is fresh", async () => {
    const p = await idp();
    const { storage, user } = p.storageWithSession();
    const { t } = tab(p, storage);
    expect(await t.getToken()).toBe(user.access_token);
    expect(await t.getToken()).toBe(user.access_token);
    expect(p.tokenRequests).toBe(0);
    // Time passes until the token expires in 10 s: inside the default 30 s leeway.
    const clock = vi.spyOn(Date, "now").mockReturnValue((user.expires_at! - 10) * 1000);
    try {
      const fresh = await t.getToken();
      expect(fresh).not.toBe(user.access_token);
      expect(p.refreshGrants).toBe(1);
    } finally {
      clock.mockRestore();
    }
  });

  it("reads the shared store once for 1,000 calls on a fresh token, and again after a refresh", async () => {
    const p = await idp();
    const { storage, user } = p.storageWithSession();
    let reads = 0;
    const counting = new Proxy(storage, {
      get(target, prop) {
        if (prop === "getItem") {
          return (key: string) => {
            if (key === p.userKey) reads++;
            return target.getItem(key);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { t } = tab(p, counting);
    for (let i = 0; i < 1000; i++) expect(await t.getToken()).toBe(user.access_token);
    expect(reads).toBe(1);
    // After a forced refresh (the server refused the token), never the old token again.
    const forced = await t.getToken({ forceRefresh: true });
    expect(forced).not.toBe(user.access_token);
    expect(await t.getToken()).toBe(forced);
    expect(await t.getToken()).toBe(forced);
  });

  it("a token whose lifetime is shorter than the leeway is not refreshed on every call", async () => {
    const p = await idp({ accessTokenTtl: 20 }); // below the default 30 s leeway
    const { storage } = p.storageWithSession("alice", { expired: true });
    const { t } = tab(p, storage);
    const first = await t.getToken();
    expect(await t.getToken()).toBe(first);
    expect(await t.getToken()).toBe(first);
    expect(p.refreshGrants).toBe(1);
  });

  it("sends the resource indicator on authorize and on every refresh", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession("alice", { expired: true });
    const { t } = tab(p, storage, { resource: "https://api.test" });
    await t.getToken();
    await t.getToken({ forceRefresh: true });
    expect(p.tokenBodies.map((b) => b.get("resource"))).toEqual([
      "https://api.test",
      "https://api.test",
    ]);
  });
});

describe("cross-tab", () => {
  it("two tabs sharing storage and a lock: one refresh-token grant, no refresh token presented twice", async () => {
    const p = await idp({ tokenDelayMs: 50 });
    const { storage } = p.storageWithSession("alice", { expired: true });
    const a = tab(p, storage);
    const b = tab(p, storage);
    const [ta, tb] = await Promise.all([a.t.getToken(), b.t.getToken()]);
    expect(ta).toBe(tb);
    expect(p.refreshGrants).toBe(1);
    expect(p.tokenRequests).toBe(1);
    expect(new Set(p.presentedRefreshTokens).size).toBe(p.presentedRefreshTokens.length);
    expect(p.reuseDetected).toBe(false);
    await settle();
    const done = [...a.events, ...b.events].filter((e) => e.type === "refresh-done");
    expect(done.map((e) => (e as { source: string }).source).sort()).toEqual([
      "other-tab",
      "this-tab",
    ]);
  });

  it("forced refreshes in both tabs for the same token still make one grant", async () => {
    const p = await idp({ tokenDelayMs: 30 });
    const { storage } = p.storageWithSession();
    const a = tab(p, storage);
    const b = tab(p, storage);
    await Promise.all([
      a.t.getToken({ forceRefresh: true }),
      b.t.getToken({ forceRefresh: true }),
      a.t.getToken({ forceRefresh: true }),
    ]);
    expect(p.refreshGrants).toBe(1);
    expect(p.reuseDetected).toBe(false);
  });

  it("without Web Locks, tabs sharing storage fall back to a storage lease (one grant)", async () => {
    const p = await idp({ tokenDelayMs: 30 });
    const { storage } = p.storageWithSession("alice", { expired: true });
    const a = tab(p, storage, { locks: null });
    const b = tab(p, storage, { locks: null });
    await Promise.all([a.t.getToken(), b.t.getToken()]);
    expect(p.refreshGrants).toBe(1);
    expect(p.reuseDetected).toBe(false);
  });

  it("control: tabs that do not share a lock race the rotation and the IdP revokes the grant", async () => {
    const p = await idp({ tokenDelayMs: 100 });
    const { storage } = p.storageWithSession("alice", { expired: true });
    const a = tab(p, storage, { lockName: "a" });
    const b = tab(p, storage, { lockName: "b" });
    const results = await Promise.allSettled([a.t.getToken(), b.t.getToken()]);
    expect(p.reuseDetected).toBe(true);
    expect(results.some((r) => r.status === "rejected")).toBe(true);
  });

  it("refuses the old dpop: true with where DPoP went (grpc-web-oidc/dpop)", async () => {
    const p = await idp();
    const options = { ...p.tokenSourceOptions(new InMemoryWebStorage()), dpop: true };
    expect(() => new OidcTokenSource(options as unknown as OidcTokenSourceOptions)).toThrow(
      /grpc-web-oidc\/dpop/,
    );
  });

  it("refreshes on demand only (no renew timer), stored in oidc-client-ts's User format and key", async () => {
    const p = await idp({ tokenDelayMs: 30 });
    const { storage, user } = p.storageWithSession();
    user.expires_at = Math.floor(Date.now() / 1000) + 61; // UserManager's timer would fire in ~1 s
    storage.setItem(p.userKey, user.toStorageString());
    const a = tab(p, storage);
    expect("userManager" in a.t).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.refreshGrants).toBe(0); // on demand only
    await a.t.getToken({ forceRefresh: true });
    expect(p.refreshGrants).toBe(1);
    // Stored in oidc-client-ts's own format and key: a UserManager session carries over.
    const stored = JSON.parse(storage.getItem(p.userKey) ?? "{}") as { access_token?: string };
    expect(stored.access_token).toBe(await a.t.getToken());
  });
});

describe("session end", () => {
  it("invalid_grant: told once, typed error, later calls fail fast without network", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession("alice", { expired: true });
    const a = tab(p, storage);
    const b = tab(p, storage);
    p.revokeAll();
    const err = await a.t.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionEndedError);
    expect(sessionEndedReason(err)).toBe("invalid_grant");
    const before = p.tokenRequests;
    for (let i = 0; i < 3; i++) {
      await expect(a.t.getToken()).rejects.toBeInstanceOf(SessionEndedError);
      await expect(a.t.getToken({ forceRefresh: true })).rejects.toBeInstanceOf(SessionEndedError);
    }
    expect(p.tokenRequests).toBe(before);
    const srv = await startGrpcWebServer({});
    cleanups.push(() => srv.stop());
    const client = healthClient(srv.url, a.t);
    const callErr = await client.check({}).catch((e: unknown) => e);
    expect(ConnectError.from(callErr).code).toBe(Code.Unauthenticated);
    expect(isSessionEnded(callErr)).toBe(true);
    expect(srv.seen).toHaveLength(0);
    await settle();
    expect(a.events.filter((e) => e.type === "session-ended")).toEqual([
      { type: "session-ended", reason: "invalid_grant" },
    ]);
    expect(b.events.filter((e) => e.type === "session-ended")).toHaveLength(1);
    expect(storage.getItem(p.userKey) ?? null).toBeNull();
  });

  it("UNAUTHENTICATED from the server, then invalid_grant on the forced refresh: no retry, session ended", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession();
    const { t, events } = tab(p, storage);
    const srv = await startGrpcWebServer({
      check: async () => {
        throw new ConnectError("revoked", Code.Unauthenticated);
      },
    });
    cleanups.push(() => srv.stop());
    p.revokeAll();
    const client = healthClient(srv.url, t);
    const err = await client.check({}).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.Unauthenticated);
    expect(sessionEndedReason(err)).toBe("invalid_grant");
    expect(srv.seen).toHaveLength(1);
    expect(p.tokenRequests).toBe(1);
    expect(events.filter((e) => e.type === "session-ended")).toHaveLength(1);
  });

  it("signing out in one tab ends the session in the other", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession();
    const a = tab(p, storage);
    const b = tab(p, storage);
    await a.t.signOut();
    await expect.poll(() => b.events.length).toBe(1);
    expect(b.events).toEqual([{ type: "session-ended", reason: "signed-out" }]);
    await expect(b.t.getToken()).rejects.toBeInstanceOf(SessionEndedError);
  });

  it("IdP unreachable is a transient network error, not a session end", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession("alice", { expired: true });
    const { t, events } = tab(p, storage);
    p.mode = "down";
    const err = await t.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenRefreshError);
    expect(refreshErrorReason(err)).toBe("network");
    expect(isSessionEnded(err)).toBe(false);
    p.mode = "server_error";
    expect(refreshErrorReason(await t.getToken().catch((e: unknown) => e))).toBe("idp-error");
    p.mode = "ok";
    await expect(t.getToken()).resolves.toMatch(/^eyJ/);
    expect(events.map((e) => e.type)).toEqual([
      "refresh-start",
      "refresh-error",
      "refresh-start",
      "refresh-error",
      "refresh-start",
      "refresh-done",
    ]);
    expect(events[1]).toEqual({ type: "refresh-error", reason: "network" });
  });

  it("keeps sending a still-valid token while the IdP is down, retrying the refresh with backoff", async () => {
    const p = await idp({ tokenDelayMs: 5 });
    const { storage, user } = p.storageWithSession("alice");
    // The token has 20 s left: inside the 30 s leeway, so every call wants an early refresh.
    const raw = JSON.parse(storage.getItem(p.userKey) ?? "{}") as { expires_at: number };
    raw.expires_at = Math.floor(Date.now() / 1000) + 20;
    storage.setItem(p.userKey, JSON.stringify(raw));
    const { t, events } = tab(p, storage, { refreshLeewaySeconds: 30 });
    const starts = () => events.filter((e) => e.type === "refresh-start").length;
    p.mode = "down";
    const got = await Promise.all(Array.from({ length: 50 }, () => t.getToken()));
    for (let i = 0; i < 20; i++) got.push(await t.getToken());
    // Every call got the still-valid token; one attempt served the first backoff window
    // (two at most if this machine stalls past the 1 s window).
    expect(got.every((g) => g === user.access_token)).toBe(true);
    const first = starts();
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(2);
    expect(events.filter((e) => e.type === "refresh-error")).toHaveLength(first);
    // After the window, one more attempt; still down, still the valid token.
    await new Promise((r) => setTimeout(r, 1_100 * 2 ** (first - 1)));
    expect(await t.getToken()).toBe(user.access_token);
    expect(starts()).toBe(first + 1);
    expect(events.some((e) => e.type === "session-ended")).toBe(false);
    // The IdP is back: after the (doubled) backoff the next call refreshes.
    p.mode = "ok";
    await new Promise((r) => setTimeout(r, 2_200 * 2 ** (first - 1)));
    const fresh = await t.getToken();
    expect(fresh).not.toBe(user.access_token);
    expect(events.at(-1)).toMatchObject({ type: "refresh-done", source: "this-tab" });
    expect(p.refreshGrants).toBe(1);
  });

  it("through the transport, an unreachable IdP is UNAVAILABLE, not UNAUTHENTICATED", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession("alice", { expired: true });
    const { t } = tab(p, storage);
    p.mode = "down";
    const srv = await startGrpcWebServer({});
    cleanups.push(() => srv.stop());
    const client = healthClient(srv.url, t);
    const err = await client.check({}).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.Unavailable);
    expect(srv.seen).toHaveLength(0);
  });

  it("an expired token without a refresh token ends the session (no-refresh-token)", async () => {
    const p = await idp();
    const { storage } = p.storageWithSession("alice", { expired: true, noRefresh: true });
    const { t, events } = tab(p, storage);
    expect(sessionEndedReason(await t.getToken().catch((e: unknown) => e))).toBe(
      "no-refresh-token",
    );
    expect(p.tokenRequests).toBe(0);
    expect(events).toEqual([{ type: "session-ended", reason: "no-refresh-token" }]);
  });
});

describe("sign-in and sign-out", () => {
  it("code + PKCE by redirect: handleCallback stores the session and strips code/state from the URL", async () => {
    const p = await idp();
    const shim = installWindowShim("https://app.test/");
    cleanups.push(() => shim.restore());
    const { t, events } = tab(p, new (await import("oidc-client-ts")).InMemoryWebStorage());
    void t.signinRedirect();
    await expect.poll(() => shim.navigations.length).toBe(1);
    const authorize = new URL(shim.navigations[0]!);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("scope")).toBe("openid offline_access");
    const res = await fetch(authorize, { redirect: "manual" });
    const back = res.headers.get("location")!;
    expect(back).toContain("code=");
    (globalThis as unknown as { location: { href: string } }).location.href = back;
    const session = await t.handleCallback();
    expect(session).toMatchObject({ subject: "alice", roles: ["reader"] });
    expect(session.scopes).toContain("offline_access");
    expect(JSON.stringify(session)).not.toMatch(/eyJ|rt_|code_/);
    const href = (globalThis as unknown as { location: { href: string } }).location.href;
    expect(href).not.toContain("code=");
    expect(href).not.toContain("state=");
    expect(events.map((e) => e.type)).toEqual(["signed-in"]);
    expect(p.tokenBodies[0]?.get("code_verifier")).toBeTruthy();
    await expect(t.getToken()).resolves.toMatch(/^eyJ/);
    expect(await t.getSession()).toMatchObject({ subject: "alice" });
  });

  it("signOut revokes the refresh token, clears storage and tells subscribers", async () => {
    const p = await idp();
    const { storage, user } = p.storageWithSession();
    const { t, events } = tab(p, storage);
    await t.signOut();
    expect(p.revoked).toContain(user.refresh_token);
    expect(storage.getItem(p.userKey) ?? null).toBeNull();
    expect(events).toEqual([{ type: "session-ended", reason: "signed-out" }]);
    await expect(t.getToken()).rejects.toBeInstanceOf(SessionEndedError);
    expect(await t.getSession()).toBeUndefined();
  });

  it("signOut({ redirect: true }) goes to the end-session endpoint with the ID token as hint", async () => {
    const p = await idp();
    const shim = installWindowShim("https://app.test/");
    cleanups.push(() => shim.restore());
    const { storage, user } = p.storageWithSession();
    const { t } = tab(p, storage, { postLogoutRedirectUri: "https://app.test/" });
    void t.signOut({ redirect: true });
    await expect.poll(() => shim.navigations.length).toBe(1);
    const to = new URL(shim.navigations[0]!);
    expect(to.pathname).toBe("/logout");
    expect(to.searchParams.get("id_token_hint")).toBe(user.id_token);
    expect(to.searchParams.get("post_logout_redirect_uri")).toBe("https://app.test/");
    expect(p.revoked).toContain(user.refresh_token);
    expect(storage.getItem(p.userKey) ?? null).toBeNull();
  });

  it("refuses an http authority unless it is loopback and allowed", () => {
    expect(
      () =>
        new OidcTokenSource({
          authority: "http://127.0.0.1:1",
          clientId: "x",
          redirectUri: "https://a.test/cb",
          storage: "memory",
        }),
    ).toThrow(/refusing/);
  });
});
