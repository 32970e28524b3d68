// The SDK's own OIDC protocol layer (src/web/oidc-protocol.ts), specified through
// `OidcTokenSource` against a real loopback IdP (helpers/stub-idp.ts) that can be told to
// misbehave: PKCE, one-time state, discovery issuer, ID token checks, RFC 9207 `iss`, the
// settings it honours, DPoP proofs and nonces at the token endpoint, stale sign-in state, and
// revocation on sign-out. Every sign-in failure is also checked for leaks (no code, state or
// token in the error).
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DpopState, type DpopStore, dpop } from "../../src/web/dpop.js";
import {
  type AuthEvent,
  OidcTokenSource,
  type OidcTokenSourceOptions,
  refreshErrorReason,
  SessionEndedError,
  SignInError,
  type SigninRedirectArgs,
  sessionEndedReason,
  type TokenRefreshError,
} from "../../src/web/index.js";
import { memoryStorage } from "../../src/web/web-store.js";
import { StubIdp, type StubIdpOptions } from "./helpers/stub-idp.js";
import { installWindowShim, type WindowShim } from "./helpers/window-shim.js";

const cleanups: (() => unknown)[] = [];
let shim: WindowShim;
beforeEach(() => {
  shim = installWindowShim("https://app.test/");
  cleanups.push(() => shim.restore());
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function idp(options: StubIdpOptions = {}): Promise<StubIdp> {
  const p = await new StubIdp(options).start();
  cleanups.push(() => p.stop());
  return p;
}

function source(
  p: StubIdp,
  extra: Partial<OidcTokenSourceOptions> = {},
  storage = memoryStorage(),
) {
  const t = new OidcTokenSource({ ...p.tokenSourceOptions(storage), ...extra });
  const events: AuthEvent[] = [];
  t.subscribe((e) => events.push(e));
  cleanups.push(() => t.close());
  return { t, storage, events };
}

/** `signinRedirect`, then the IdP's redirect back: the authorize query and the callback URL. */
async function signIn(t: OidcTokenSource, args: SigninRedirectArgs = {}) {
  const before = shim.navigations.length;
  // signinRedirect never settles when it navigates; it rejects when it cannot.
  await Promise.race([
    t.signinRedirect(args),
    expect.poll(() => shim.navigations.length).toBe(before + 1),
  ]);
  const authorize = new URL(shim.navigations[before]!);
  const res = await fetch(authorize, { redirect: "manual" });
  const callback = res.headers.get("location");
  if (!callback) throw new Error(`authorize answered ${res.status} without a redirect`);
  return { query: authorize.searchParams, callback };
}

/** Everything an error shows a log line or an error reporter. */
function errorText(err: unknown): string {
  const e = err as Record<string, unknown>;
  return [
    String(err),
    JSON.stringify(err),
    (err as Error).stack,
    ...Object.getOwnPropertyNames(err).map((k) => `${k}=${String(e[k])}`),
  ].join("\n");
}

/** The code and state of a callback URL (query or fragment). */
function callbackSecrets(callback: string): string[] {
  const u = new URL(callback);
  const params = new URLSearchParams(u.hash ? u.hash.slice(1) : u.search);
  return ["code", "state"].flatMap((k) => params.get(k) ?? []);
}

/** A `SignInError` with OAuth code `code`, carrying none of the IdP's codes, states or tokens. */
function expectSignInError(err: unknown, code: string, p: StubIdp, callback?: string): void {
  expect(err).toBeInstanceOf(SignInError);
  expect((err as SignInError).error).toBe(code);
  const text = errorText(err);
  for (const secret of [...p.issuedSecrets, ...(callback ? callbackSecrets(callback) : [])]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
}

async function expectSignedOut(t: OidcTokenSource, storage: Storage, p: StubIdp): Promise<void> {
  // oidc-client-ts's InMemoryWebStorage answers undefined, Web Storage null.
  expect(storage.getItem(p.userKey) ?? null).toBeNull();
  expect(await t.getSession()).toBeUndefined();
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

/** The sign-in state entries (PKCE verifiers waiting for a callback) in `storage`. */
function signinStates(storage: Storage): string[] {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key && storage.getItem(key)?.includes('"code_verifier"')) keys.push(key);
  }
  return keys;
}

describe("PKCE (RFC 7636)", () => {
  it("the authorize request carries S256 of a fresh verifier per sign-in, and the code exchange sends that verifier", async () => {
    const p = await idp();
    const { t } = source(p);
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { query, callback } = await signIn(t);
      states.push(query.get("state")!);
      await t.handleCallback(callback);
    }
    const verifiers = p.tokenBodies.map((b) => b.get("code_verifier") ?? "");
    expect(verifiers).toHaveLength(3);
    p.authorizeQueries.forEach((q, i) => {
      expect(q.get("code_challenge_method")).toBe("S256");
      expect(q.get("code_challenge")).toBe(sha256(verifiers[i]!));
      // RFC 7636 §4.1: 43 to 128 unreserved characters.
      expect(verifiers[i]).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    });
    expect(new Set(verifiers).size).toBe(3);
    expect(new Set(states).size).toBe(3);
  });

  it("a code exchange whose verifier does not match the challenge is refused by the IdP (invalid_grant), nothing stored", async () => {
    const p = await idp();
    const { t, storage } = source(p);
    const { query, callback } = await signIn(t);
    const key = `oidc.${query.get("state")}`;
    const state = JSON.parse(storage.getItem(key)!) as { code_verifier: string };
    const forged = "f".repeat(43);
    storage.setItem(key, JSON.stringify({ ...state, code_verifier: forged }));
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "invalid_grant", p, callback);
    expect(p.tokenBodies.map((b) => b.get("code_verifier"))).toEqual([forged]);
    await expectSignedOut(t, storage, p);
  });
});

describe("state", () => {
  it("is one-time: the same callback handled twice fails the second time (state_mismatch) without a token request", async () => {
    const p = await idp();
    const { t, storage } = source(p);
    const { callback } = await signIn(t);
    await t.handleCallback(callback);
    expect(p.tokenRequests).toBe(1);
    // The same URL again (reload, back button, or a copied link): refused before the IdP.
    const again = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(again, "state_mismatch", p, callback);
    // A page that reloads has a new token source; the state is gone for it too.
    const reloaded = source(p, {}, storage).t;
    const third = await reloaded.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(third, "state_mismatch", p, callback);
    expect(p.tokenRequests).toBe(1);
  });

  it("a callback with a state this browser never issued fails without a token request", async () => {
    const p = await idp();
    const { t, storage } = source(p);
    const { callback } = await signIn(t);
    const forged = new URL(callback);
    forged.searchParams.set("state", "not-issued-here");
    const err = await t.handleCallback(forged.href).catch((e: unknown) => e);
    expectSignInError(err, "state_mismatch", p, forged.href);
    const none = new URL(callback);
    none.searchParams.delete("state");
    expectSignInError(
      await t.handleCallback(none.href).catch((e: unknown) => e),
      "state_mismatch",
      p,
      none.href,
    );
    expect(p.tokenRequests).toBe(0);
    await expectSignedOut(t, storage, p);
  });

  it("state written for another client id on the same storage is refused", async () => {
    const p = await idp();
    const storage = memoryStorage();
    const other = source(p, { clientId: "other-spa" }, storage).t;
    // The IdP does not care which client started it; the callback page's client must.
    const before = shim.navigations.length;
    await Promise.race([
      other.signinRedirect(),
      expect.poll(() => shim.navigations.length).toBe(before + 1),
    ]);
    const authorize = new URL(shim.navigations[before]!);
    authorize.searchParams.set("client_id", p.clientId);
    const callback = (await fetch(authorize, { redirect: "manual" })).headers.get("location")!;
    const { t } = source(p, {}, storage);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "state_mismatch", p, callback);
    expect(p.tokenRequests).toBe(0);
  });

  it("an error response on the callback (access_denied) fails with that code, without a token request", async () => {
    const p = await idp({ authorizeError: "access_denied" });
    const { t, storage } = source(p);
    const { callback } = await signIn(t);
    expect(new URL(callback).searchParams.get("error")).toBe("access_denied");
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "access_denied", p, callback);
    expect(p.tokenRequests).toBe(0);
    await expectSignedOut(t, storage, p);
  });
});

describe("discovery (OIDC Discovery §4.3)", () => {
  it("a discovery document whose issuer is not the authority: signinRedirect fails before leaving, no state kept", async () => {
    const p = await idp({ discoveryIssuer: "https://login.other.test" });
    const { t, storage } = source(p);
    const err = await t.signinRedirect().catch((e: unknown) => e);
    expectSignInError(err, "issuer_mismatch", p);
    expect(shim.navigations).toHaveLength(0);
    expect(signinStates(storage)).toEqual([]);
  });

  it("an unreachable provider: signinRedirect fails with SignInError network before leaving", async () => {
    const p = await idp();
    const { t } = source(p);
    await p.stop();
    expectSignInError(await t.signinRedirect().catch((e: unknown) => e), "network", p);
    expect(shim.navigations).toHaveLength(0);
  });

  it("a callback page that reads a discovery issuer other than the authority fails (issuer_mismatch) without a token request", async () => {
    const p = await idp();
    const storage = memoryStorage();
    const { callback } = await signIn(source(p, {}, storage).t);
    p.opts.discoveryIssuer = "https://login.other.test";
    // The callback page is a new page: a new token source reads discovery again.
    const { t } = source(p, {}, storage);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "issuer_mismatch", p, callback);
    expect(p.tokenRequests).toBe(0);
    await expectSignedOut(t, storage, p);
  });

  it("a trailing slash on the authority still matches the issuer", async () => {
    const p = await idp();
    const { t } = source(p, { authority: `${p.issuer}/` });
    const { callback } = await signIn(t);
    await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "alice" });
  });

  it("metadata given in oidcClientSettings is used without reading discovery, and is checked the same", async () => {
    const p = await idp();
    const metadata = {
      issuer: p.issuer,
      authorization_endpoint: `${p.issuer}/authorize`,
      token_endpoint: `${p.issuer}/token`,
    };
    const { t } = source(p, { oidcClientSettings: { metadata } });
    await t.handleCallback((await signIn(t)).callback);
    expect(p.requests.filter((r) => r.includes("openid-configuration"))).toEqual([]);
    const wrong = source(p, {
      oidcClientSettings: { metadata: { ...metadata, issuer: "https://login.other.test" } },
    }).t;
    expectSignInError(await wrong.signinRedirect().catch((e: unknown) => e), "issuer_mismatch", p);
  });
});

describe("ID token (OIDC Core §3.1.3.7)", () => {
  it.each([
    ["another issuer", { iss: "https://login.other.test" }],
    ["another audience", { aud: "other-spa" }],
    ["an audience list without this client", { aud: ["api", "other-spa"] }],
    ["no subject", { sub: undefined }],
  ])(
    "an ID token with %s fails sign-in (invalid_id_token) and stores nothing",
    async (_, claims) => {
      const p = await idp({ idTokenClaims: claims });
      const { t, storage, events } = source(p);
      const { callback } = await signIn(t);
      const err = await t.handleCallback(callback).catch((e: unknown) => e);
      expectSignInError(err, "invalid_id_token", p, callback);
      expect(p.tokenRequests).toBe(1);
      await expectSignedOut(t, storage, p);
      expect(events).toEqual([]);
    },
  );

  it("an audience list that contains the client id is accepted", async () => {
    const p = await idp({ idTokenClaims: { aud: ["api", "spa"] } });
    const { t } = source(p);
    await expect(t.handleCallback((await signIn(t)).callback)).resolves.toMatchObject({
      subject: "alice",
    });
  });

  it("a nonce sent on sign-in must come back in the ID token", async () => {
    const p = await idp();
    const { t, storage } = source(p);
    const ok = await signIn(t, { nonce: "n-0S6_WzA2Mj" });
    expect(ok.query.get("nonce")).toBe("n-0S6_WzA2Mj");
    await expect(t.handleCallback(ok.callback)).resolves.toMatchObject({ subject: "alice" });
    for (const nonce of ["n-other", undefined]) {
      p.opts.idTokenClaims = { nonce };
      const bad = await signIn(t, { nonce: "n-0S6_WzA2Mj" });
      const err = await t.handleCallback(bad.callback).catch((e: unknown) => e);
      expectSignInError(err, "invalid_id_token", p, bad.callback);
    }
    // The first sign-in's session is still the stored one.
    expect(JSON.parse(storage.getItem(p.userKey)!)).toMatchObject({ profile: { sub: "alice" } });
  });

  it("a refresh whose ID token names another subject ends the session (the rotated refresh token is spent)", async () => {
    const p = await idp({ idTokenOnRefresh: true });
    const { storage } = p.storageWithSession("alice", { expired: true });
    p.opts.idTokenClaims = { sub: "mallory" };
    const { t, events } = source(p, {}, storage);
    const err = await t.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionEndedError);
    expect(sessionEndedReason(err)).toBe("invalid_grant");
    expect(errorText(err)).not.toMatch(/eyJ|rt_/);
    expect(p.refreshGrants).toBe(1);
    // Nothing of mallory's was stored, and alice's spent tokens are gone.
    expect(storage.getItem(p.userKey) ?? null).toBeNull();
    expect(events.map((e) => e.type)).toEqual(["refresh-start", "session-ended"]);
    // Told once: later calls fail fast without a token request.
    await expect(t.getToken()).rejects.toBeInstanceOf(SessionEndedError);
    expect(p.tokenRequests).toBe(1);
  });

  it("control: a refresh whose ID token names the same subject replaces the stored ID token", async () => {
    const p = await idp({ idTokenOnRefresh: true });
    const { storage, user } = p.storageWithSession("alice", { expired: true });
    const { t } = source(p, {}, storage);
    await t.getToken();
    const now = JSON.parse(storage.getItem(p.userKey)!) as { id_token: string };
    expect(now.id_token).not.toBe(user.id_token);
    expect(p.issuedSecrets).toContain(now.id_token);
  });
});

describe("authorization response issuer (RFC 9207)", () => {
  it("an iss other than the issuer fails before any token request", async () => {
    const p = await idp({ callbackIss: "https://login.other.test" });
    const { t, storage } = source(p);
    const { callback } = await signIn(t);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "issuer_mismatch", p, callback);
    expect(p.tokenRequests).toBe(0);
    await expectSignedOut(t, storage, p);
  });

  it("when the provider says it sends iss, a response without it fails before any token request", async () => {
    const p = await idp({ issParameterSupported: true });
    const { t, storage } = source(p);
    const { callback } = await signIn(t);
    expect(new URL(callback).searchParams.has("iss")).toBe(false);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "issuer_mismatch", p, callback);
    expect(p.tokenRequests).toBe(0);
    await expectSignedOut(t, storage, p);
  });

  it.each([true, false])(
    "the issuer's own iss is accepted (provider advertises it: %s)",
    async (advertised) => {
      const p = await idp({ issParameterSupported: advertised });
      p.opts.callbackIss = p.issuer;
      const { t } = source(p);
      const { callback } = await signIn(t);
      expect(new URL(callback).searchParams.get("iss")).toBe(p.issuer);
      await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "alice" });
    },
  );
});

describe("oidcClientSettings", () => {
  it("a setting the protocol layer does not honour is refused by name (its value never shown)", async () => {
    const p = await idp();
    const make = (settings: Record<string, unknown>) => () =>
      new OidcTokenSource({
        ...p.tokenSourceOptions(memoryStorage()),
        oidcClientSettings: settings as OidcTokenSourceOptions["oidcClientSettings"],
      });
    expect(make({ client_secret: "s3cr3t-value" })).toThrow(TypeError);
    expect(make({ client_secret: "s3cr3t-value" })).toThrow(/client_secret/);
    expect(make({ client_secret: "s3cr3t-value" })).not.toThrow(/s3cr3t-value/);
    expect(make({ automaticSilentRenew: true })).toThrow(/automaticSilentRenew/);
    // Both named at once, and a supported one beside them is not blamed.
    let message = "";
    try {
      make({ prompt: "login", client_secret: "x", automaticSilentRenew: true })();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/oidcClientSettings client_secret, automaticSilentRenew not supported/);
  });

  it("extra parameters cannot replace the protocol's own: client, redirect, state, PKCE, grant", async () => {
    const p = await idp();
    const { t } = source(p, {
      oidcClientSettings: {
        extraQueryParams: {
          client_id: "evil",
          redirect_uri: "https://evil.test/cb",
          state: "fixed",
          code_challenge: "fixed",
          code_challenge_method: "plain",
          response_type: "token",
        },
        extraTokenParams: { grant_type: "password", code_verifier: "fixed", refresh_token: "x" },
      },
    });
    const { query, callback } = await signIn(t);
    expect(query.getAll("client_id")).toEqual(["spa"]);
    expect(query.getAll("redirect_uri")).toEqual([p.redirectUri]);
    expect(query.getAll("response_type")).toEqual(["code"]);
    expect(query.getAll("code_challenge_method")).toEqual(["S256"]);
    expect(query.get("state")).not.toBe("fixed");
    expect(query.get("code_challenge")).not.toBe("fixed");
    await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "alice" });
    await t.getToken({ forceRefresh: true });
    expect(p.tokenBodies.map((b) => b.get("grant_type"))).toEqual([
      "authorization_code",
      "refresh_token",
    ]);
    expect(p.tokenBodies[0]!.get("code_verifier")).not.toBe("fixed");
    expect(p.tokenBodies[1]!.get("refresh_token")).not.toBe("x");
  });

  it("authorization parameters reach the authorize query, extraTokenParams every token request", async () => {
    const p = await idp();
    const { t } = source(p, {
      oidcClientSettings: {
        extraQueryParams: { audience: "notes" },
        extraTokenParams: { tenant: "t-1" },
        prompt: "login",
        display: "page",
        max_age: 300,
        ui_locales: "fr-CA",
        acr_values: "mfa",
      },
    });
    const { query, callback } = await signIn(t, {
      login_hint: "bob",
      extraQueryParams: { campaign: "spring" },
    });
    expect(Object.fromEntries(query)).toMatchObject({
      audience: "notes",
      campaign: "spring",
      prompt: "login",
      display: "page",
      max_age: "300",
      ui_locales: "fr-CA",
      acr_values: "mfa",
      login_hint: "bob",
      response_type: "code",
      client_id: "spa",
    });
    await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "bob" });
    await t.getToken({ forceRefresh: true });
    expect(p.tokenBodies.map((b) => [b.get("grant_type"), b.get("tenant")])).toEqual([
      ["authorization_code", "t-1"],
      ["refresh_token", "t-1"],
    ]);
  });

  it('response_mode "fragment": asked for on authorize, the callback read from the fragment and stripped', async () => {
    const p = await idp();
    const { t } = source(p, { oidcClientSettings: { response_mode: "fragment" } });
    const { query, callback } = await signIn(t);
    expect(query.get("response_mode")).toBe("fragment");
    const back = new URL(callback);
    expect(back.search).toBe("");
    expect(back.hash).toMatch(/^#code=/);
    const loc = (globalThis as unknown as { location: { href: string } }).location;
    loc.href = callback;
    await expect(t.handleCallback()).resolves.toMatchObject({ subject: "alice" });
    expect(loc.href).toBe("https://app.test/callback");
    expect(p.tokenRequests).toBe(1);
  });

  it("requestTimeoutInSeconds bounds each request: a silent token endpoint fails sign-in as network", async () => {
    const p = await idp({ tokenDelayMs: 60_000 });
    const { t, storage } = source(p, { oidcClientSettings: { requestTimeoutInSeconds: 1 } });
    const { callback } = await signIn(t);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "network", p, callback);
    await expectSignedOut(t, storage, p);
  });

  it("requestTimeoutInSeconds also lengthens it: a token endpoint slower than the default 10 s is waited for", async () => {
    // Slow by design (11 s): the one way to tell the setting from the default without a clock.
    const p = await idp({ tokenDelayMs: 11_000 });
    const { t } = source(p, { oidcClientSettings: { requestTimeoutInSeconds: 3600 } });
    const { callback } = await signIn(t);
    await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "alice" });
  });
});

/** DPoP key pairs in memory (Node has WebCrypto but no IndexedDB). */
function memoryDpopStore(): DpopStore & { states: Map<string, DpopState> } {
  const states = new Map<string, DpopState>();
  return {
    states,
    get: async (clientId) => states.get(clientId),
    set: async (clientId, state) => void states.set(clientId, state),
    remove: async (clientId) => states.delete(clientId),
  };
}

const decodePart = (part: string) =>
  JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

/** A DPoP proof's header and claims, and whether `publicKey` verifies its ES256 signature. */
async function readProof(proof: string, publicKey: CryptoKey) {
  const [header = "", payload = "", signature = ""] = proof.split(".");
  const verified = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    publicKey,
    Buffer.from(signature, "base64url"),
    new TextEncoder().encode(`${header}.${payload}`),
  );
  return { header: decodePart(header), claims: decodePart(payload), verified };
}

async function publicJwk(key: CryptoKey) {
  const { crv, kty, x, y } = await crypto.subtle.exportKey("jwk", key);
  return { crv, kty, x, y };
}

describe("DPoP at the token endpoint (RFC 9449)", () => {
  it("code exchange and refresh each carry a fresh proof by the stored key: htm POST, htu the token endpoint, no ath", async () => {
    const p = await idp();
    const store = memoryDpopStore();
    const { t } = source(p, { dpop: dpop({ store }) });
    const { query, callback } = await signIn(t);
    const keys = store.states.get(p.clientId)?.keys;
    if (!keys) throw new Error("no key stored by signinRedirect");
    const jwk = await publicJwk(keys.publicKey);
    // The code is bound to the key (RFC 9449 §10): its RFC 7638 thumbprint.
    expect(query.get("dpop_jkt")).toBe(sha256(JSON.stringify(jwk)));
    await t.handleCallback(callback);
    await t.getToken({ forceRefresh: true });
    await t.getToken({ forceRefresh: true });
    expect(p.tokenBodies.map((b) => b.get("grant_type"))).toEqual([
      "authorization_code",
      "refresh_token",
      "refresh_token",
    ]);
    const proofs = await Promise.all(
      p.tokenDpopProofs.map((proof) => readProof(proof ?? "", keys.publicKey)),
    );
    const now = Date.now() / 1000;
    for (const { header, claims, verified } of proofs) {
      expect(verified).toBe(true);
      expect(header).toEqual({ alg: "ES256", typ: "dpop+jwt", jwk });
      expect(claims).toMatchObject({ htm: "POST", htu: `${p.issuer}/token` });
      expect(claims).not.toHaveProperty("ath");
      expect(claims).not.toHaveProperty("nonce");
      expect(Math.abs(Number(claims.iat) - now)).toBeLessThan(600);
    }
    expect(new Set(proofs.map((x) => x.claims.jti)).size).toBe(3);
  });

  it("a use_dpop_nonce refusal is retried once with the server's nonce, which is kept for the next token request", async () => {
    const p = await idp({ dpopNonce: "required" });
    const store = memoryDpopStore();
    const { t } = source(p, { dpop: dpop({ store }) });
    const { callback } = await signIn(t);
    await expect(t.handleCallback(callback)).resolves.toMatchObject({ subject: "alice" });
    expect(p.tokenRequests).toBe(2);
    expect(p.dpopNonces).toHaveLength(1);
    await t.getToken({ forceRefresh: true });
    expect(p.tokenRequests).toBe(3);
    const keys = store.states.get(p.clientId)!.keys;
    const proofs = await Promise.all(
      p.tokenDpopProofs.map((proof) => readProof(proof ?? "", keys.publicKey)),
    );
    expect(proofs.map((x) => x.claims.nonce)).toEqual([
      undefined,
      p.dpopNonces[0],
      p.dpopNonces[0],
    ]);
    expect(proofs.every((x) => x.verified)).toBe(true);
    expect(new Set(proofs.map((x) => x.claims.jti)).size).toBe(3);
  });

  it("an error other than use_dpop_nonce is not retried, even with a DPoP-Nonce (the code is presented once)", async () => {
    const p = await idp({ invalidGrantWithNonce: true });
    const { t } = source(p, { dpop: dpop({ store: memoryDpopStore() }) });
    const { callback } = await signIn(t);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expect((err as SignInError).error).toBe("invalid_grant");
    expect(p.tokenRequests).toBe(1);
  });

  it("a second nonce demand in a row is not retried: sign-in fails after exactly one retry", async () => {
    const p = await idp({ dpopNonce: "rotating" });
    const { t, storage } = source(p, { dpop: dpop({ store: memoryDpopStore() }) });
    const { callback } = await signIn(t);
    const err = await t.handleCallback(callback).catch((e: unknown) => e);
    expectSignInError(err, "use_dpop_nonce", p, callback);
    expect(p.tokenRequests).toBe(2);
    expect(p.tokenDpopProofs.map((x) => decodePart(x!.split(".")[1]!).nonce)).toEqual([
      undefined,
      p.dpopNonces[0],
    ]);
    await expectSignedOut(t, storage, p);
  });

  it("a refresh refused twice for nonces fails transiently with the session kept, and the last nonce serves the next refresh", async () => {
    const p = await idp({ dpopNonce: "rotating" });
    const { storage } = p.storageWithSession("alice", { expired: true });
    const stored = storage.getItem(p.userKey);
    const { t } = source(p, { dpop: dpop({ store: memoryDpopStore() }) }, storage);
    const err = await t.getToken().catch((e: unknown) => e);
    expect(refreshErrorReason(err)).toBe("idp-error");
    expect((err as TokenRefreshError).idpError).toBe("use_dpop_nonce");
    expect(p.tokenRequests).toBe(2);
    expect(storage.getItem(p.userKey)).toBe(stored);
    // The server now keeps its last nonce: the client sends it first time, one request.
    p.opts.dpopNonce = "required";
    await expect(t.getToken()).resolves.toMatch(/^eyJ/);
    expect(p.tokenRequests).toBe(3);
    expect(decodePart(p.tokenDpopProofs[2]!.split(".")[1]!).nonce).toBe(p.dpopNonces[1]);
    expect(p.refreshGrants).toBe(1);
  });
});

describe("stale sign-in state", () => {
  function seed(p: StubIdp, storage: Storage, ages: Record<string, number>): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [id, age] of Object.entries(ages)) {
      storage.setItem(
        `oidc.${id}`,
        JSON.stringify({
          id,
          created: now - age,
          request_type: "si:r",
          code_verifier: "v".repeat(43),
          authority: p.issuer,
          client_id: p.clientId,
        }),
      );
    }
  }

  it("state older than staleStateAgeInSeconds (default 900 s) is removed on the next signinRedirect; fresh state, the stored user and other keys stay", async () => {
    const p = await idp();
    const { storage, user } = p.storageWithSession();
    seed(p, storage, { abandoned: 3600, "abandoned-2": 1000, recent: 60 });
    storage.setItem("oidc.not-json", "{");
    storage.setItem("app.theme", "dark");
    const { t } = source(p, {}, storage);
    const { query } = await signIn(t);
    expect(signinStates(storage).sort()).toEqual(
      ["oidc.recent", `oidc.${query.get("state")}`].sort(),
    );
    expect(storage.getItem(p.userKey)).toBe(user.toStorageString());
    expect(storage.getItem("oidc.not-json")).toBe("{");
    expect(storage.getItem("app.theme")).toBe("dark");
    await expect(t.getToken()).resolves.toBe(user.access_token);
  });

  it("staleStateAgeInSeconds sets the age", async () => {
    const p = await idp();
    const storage = memoryStorage();
    seed(p, storage, { "two-minutes": 120, "ten-seconds": 10 });
    const { t } = source(p, { oidcClientSettings: { staleStateAgeInSeconds: 60 } }, storage);
    const { query } = await signIn(t);
    expect(signinStates(storage).sort()).toEqual(
      ["oidc.ten-seconds", `oidc.${query.get("state")}`].sort(),
    );
  });
});

describe("sign-out revocation (RFC 7009)", () => {
  it("a 200 with a text body is a done revocation: both tokens are revoked", async () => {
    const p = await idp({ revokeAnswer: "text" });
    const { storage, user } = p.storageWithSession();
    const { t } = source(p, {}, storage);
    await t.signOut();
    expect(p.revoked).toEqual([user.refresh_token, user.access_token]);
    await expectSignedOut(t, storage, p);
  });

  it("a failed refresh-token revocation does not skip the access token's", async () => {
    const p = await idp({ revokeAnswer: "drop-first" });
    const { storage, user } = p.storageWithSession();
    const { t } = source(p, {}, storage);
    await t.signOut();
    expect(p.revokeBodies.map((b) => b.get("token_type_hint"))).toEqual([
      "refresh_token",
      "access_token",
    ]);
    expect(p.revoked).toEqual([user.access_token]);
    await expectSignedOut(t, storage, p);
  });

  it("revokes the refresh token, then the access token, each with token_type_hint and client_id", async () => {
    const p = await idp();
    const { storage, user } = p.storageWithSession();
    const { t } = source(p, {}, storage);
    await t.signOut();
    expect(p.revokeBodies.map((b) => Object.fromEntries(b))).toEqual([
      { token: user.refresh_token, token_type_hint: "refresh_token", client_id: "spa" },
      { token: user.access_token, token_type_hint: "access_token", client_id: "spa" },
    ]);
    await expectSignedOut(t, storage, p);
  });

  it("with no revocation endpoint, no request is made and sign-out still clears storage", async () => {
    const p = await idp({ revocation: false });
    const { storage } = p.storageWithSession();
    const { t, events } = source(p, {}, storage);
    await t.signOut();
    expect(p.requests).toEqual(["GET /.well-known/openid-configuration"]);
    await expectSignedOut(t, storage, p);
    await expect(t.getToken()).rejects.toBeInstanceOf(SessionEndedError);
    expect(events).toEqual([{ type: "session-ended", reason: "signed-out" }]);
  });
});
