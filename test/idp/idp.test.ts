import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_AUDIENCE,
  CLIENT_ID,
  type Idp,
  type IdpLogRecord,
  startIdp,
} from "../../demo/idp/server.js";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import {
  authorize,
  exchangeCode,
  HttpSession,
  refreshTokens,
  type SignInOptions,
  signIn,
} from "../helpers/oidc-flow.js";

const WEB = "https://localhost:5999";
const REDIRECT = `${WEB}/callback`;

let dir: string;
let pki: DevPki;
let ca: Buffer;
let idp: Idp;
let http: HttpSession;
let jwks: ReturnType<typeof createLocalJWKSet>;
const idpLog: IdpLogRecord[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-"));
  pki = ensureDevPki(dir);
  ca = readFileSync(pki.ca.cert);
  idp = await startIdp({
    pki,
    port: 0,
    accessTokenTtl: 120,
    redirectUris: [REDIRECT],
    log: (r) => idpLog.push(r),
  });
  http = new HttpSession(ca);
  const res = await http.request(idp.jwksUri);
  jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet);
});

afterAll(async () => {
  await http?.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function as(login: string, extra: Partial<SignInOptions> = {}): SignInOptions {
  return { issuer: idp.issuer, ca, redirectUri: REDIRECT, login, password: login, ...extra };
}

/** Runs `fn` in a browser session of its own (fresh cookies), closed afterwards. */
async function inSession<T>(fn: (session: HttpSession) => Promise<T>): Promise<T> {
  const session = new HttpSession(ca);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** Every token the suite received, to check that none reaches a log. */
const issued = new Set<string>();
function remember<T extends { access_token?: string; refresh_token?: string; id_token?: string }>(
  t: T,
): T {
  for (const v of [t.access_token, t.refresh_token, t.id_token]) if (v) issued.add(v);
  return t;
}

async function refresh(refreshToken: string) {
  const r = await refreshTokens(http, idp.issuer, refreshToken);
  remember(r.body);
  return r;
}

async function verify(accessToken: string): Promise<JWTPayload> {
  issued.add(accessToken);
  const { payload } = await jwtVerify(accessToken, jwks, {
    issuer: idp.issuer,
    audience: API_AUDIENCE,
    typ: "at+jwt",
    algorithms: ["ES256"],
  });
  return payload;
}

describe("discovery", () => {
  it("advertises S256 only, revocation and end-session endpoints", async () => {
    const res = await http.request(`${idp.issuer}/.well-known/openid-configuration`);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(idp.issuer);
    expect(meta.code_challenge_methods_supported).toEqual(["S256"]);
    expect(meta.revocation_endpoint).toBe(`${idp.issuer}/token/revocation`);
    expect(meta.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
    expect(meta.jwks_uri).toBe(idp.jwksUri);
  });
});

describe("authorization code + PKCE", () => {
  it("gives the reader a JWT access token for the API with notes.read only and no roles", async () => {
    const codes = idp.stats.codeGrants;
    const tokens = remember(await signIn(as("reader")));
    const claims = await verify(tokens.access_token);
    expect(claims.sub).toBe("reader");
    expect(claims.client_id).toBe(CLIENT_ID);
    expect(claims.scope).toBe("notes.read");
    expect(claims.roles).toEqual([]);
    expect(typeof claims.exp).toBe("number");
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.refresh_token).toBeTypeOf("string"); // offline_access survived consent
    expect(tokens.id_token).toBeTypeOf("string");
    expect(idp.stats.codeGrants).toBe(codes + 1);
  });

  it("gives the writer notes.read and notes.write, no roles", async () => {
    const claims = await verify(remember(await signIn(as("writer"))).access_token);
    expect(claims.scope).toBe("notes.read notes.write");
    expect(claims.roles).toEqual([]);
  });

  it("gives the admin both scopes and roles [admin]", async () => {
    const claims = await verify(remember(await signIn(as("admin"))).access_token);
    expect(claims.scope).toBe("notes.read notes.write");
    expect(claims.roles).toEqual(["admin"]);
  });

  it("accepts an explicit resource parameter equal to the API", async () => {
    const claims = await verify(
      (await signIn(as("reader", { resource: API_AUDIENCE }))).access_token,
    );
    expect(claims.aud).toBe(API_AUDIENCE);
  });

  it("shows an error on the login page for a wrong password, then accepts the right one", async () => {
    await inSession(async (session) => {
      const first = await authorize(as("writer", { password: "nope" }), session).catch(
        (e: Error) => e,
      );
      expect(first).toBeInstanceOf(Error);
      expect((first as Error).message).toMatch(/stopped at \/interaction\/.+\/login \(HTTP 401\)/);
      // The same browser retries with the right password and gets a code.
      const ok = await authorize(as("writer"), session);
      expect(ok.callback.searchParams.get("code")).toBeTruthy();
    });
  });

  it("renders the error text and keeps the form on a wrong password", async () => {
    await inSession(async (session) => {
      const start = await session.request(
        `${idp.issuer}/auth?${new URLSearchParams({
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT,
          response_type: "code",
          scope: "openid",
          code_challenge: "x".repeat(43),
          code_challenge_method: "S256",
        })}`,
      );
      const interaction = new URL(start.headers.get("location") ?? "", idp.issuer);
      const page = await (await session.request(interaction.href)).text();
      expect(page).toMatch(/<input[^>]+name="login"/);
      expect(page).toMatch(
        /<input[^>]+name="password"[^>]*type="password"|type="password"[^>]*name="password"/,
      );
      const res = await session.request(`${interaction.href}/login`, {
        form: { login: "admin", password: "wrong" },
      });
      const html = await res.text();
      expect(res.status).toBe(401);
      expect(html).toContain("Invalid username or password.");
      expect(html).toMatch(/name="login"[^>]*value="admin"|value="admin"[^>]*name="login"/);
      expect(html).not.toContain("wrong");
    });
  });

  it.each([
    ["refuses a request without PKCE", "none"],
    ["refuses PKCE plain", "plain"],
  ] as const)("%s", async (_name, pkce) => {
    await inSession(async (session) => {
      const r = await authorize(as("reader", { pkce }), session);
      expect(r.callback.searchParams.get("error")).toBe("invalid_request");
      expect(r.callback.searchParams.get("code")).toBeNull();
    });
  });

  it("refuses a code exchange with the wrong verifier", async () => {
    await inSession(async (session) => {
      const o = as("reader");
      const { callback } = await authorize(o, session);
      const res = await exchangeCode(
        o,
        session,
        callback.searchParams.get("code") ?? "",
        "A".repeat(43),
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("invalid_grant");
    });
  });

  it("never redirects to an unregistered redirect URI", async () => {
    await inSession(async (session) => {
      const r = await authorize(
        as("reader", { redirectUri: "https://evil.example/callback" }),
        session,
      ).catch((e: Error) => e);
      expect(r).toBeInstanceOf(Error);
      expect((r as Error).message).toMatch(/stopped at \/auth \(HTTP 400\)/);
    });
  });
});

describe("refresh tokens", () => {
  it("rotates on every refresh and keeps audience, scope and roles", async () => {
    const before = idp.stats.refreshGrants;
    const first = remember(await signIn(as("admin")));
    const r = await refresh(first.refresh_token ?? "");
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeTypeOf("string");
    expect(r.body.refresh_token).not.toBe(first.refresh_token);
    const claims = await verify(r.body.access_token);
    expect(claims.scope).toBe("notes.read notes.write");
    expect(claims.roles).toEqual(["admin"]);
    expect(idp.stats.refreshGrants).toBe(before + 1);
  });

  it("revokes the whole grant when a used refresh token is presented again", async () => {
    const reuse = idp.stats.refreshReuse;
    const first = remember(await signIn(as("writer")));
    const second = await refresh(first.refresh_token ?? "");
    expect(second.status).toBe(200);
    const replay = await refresh(first.refresh_token ?? "");
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe("invalid_grant");
    expect(idp.stats.refreshReuse).toBe(reuse + 1);
    // The rotated (newest) token died with the grant.
    const after = await refresh(second.body.refresh_token ?? "");
    expect(after.status).toBe(400);
    expect(after.body.error).toBe("invalid_grant");
  });

  it("revocation endpoint: a revoked refresh token no longer works", async () => {
    const t = remember(await signIn(as("reader")));
    const rev = await http.postForm(`${idp.issuer}/token/revocation`, {
      token: t.refresh_token ?? "",
      token_type_hint: "refresh_token",
      client_id: CLIENT_ID,
    });
    expect(rev.status).toBe(200);
    const r = await refresh(t.refresh_token ?? "");
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_grant");
  });

  it("revokeGrants(subject) kills that subject's refresh tokens and no one else's", async () => {
    const admin = remember(await signIn(as("admin")));
    const reader = remember(await signIn(as("reader")));
    expect(await idp.revokeGrants("admin")).toBeGreaterThanOrEqual(1);
    const dead = await refresh(admin.refresh_token ?? "");
    expect(dead.status).toBe(400);
    expect(dead.body.error).toBe("invalid_grant");
    const alive = await refresh(reader.refresh_token ?? "");
    expect(alive.status).toBe(200);
  });

  it("revokeGrants() without a subject revokes everything", async () => {
    const t = remember(await signIn(as("writer")));
    expect(await idp.revokeGrants()).toBeGreaterThanOrEqual(1);
    const r = await refresh(t.refresh_token ?? "");
    expect(r.body.error).toBe("invalid_grant");
    expect(await idp.revokeGrants()).toBe(0);
  });

  it("issues no refresh token without offline_access", async () => {
    const t = remember(await signIn(as("reader", { scope: "openid notes.read" })));
    expect(t.refresh_token).toBeUndefined();
    expect((await verify(t.access_token)).scope).toBe("notes.read");
  });
});

describe("CORS on the token endpoint", () => {
  const preflight = (origin: string) =>
    http.request(`${idp.issuer}/token`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("allows the redirect URI's origin", async () => {
    const t = remember(await signIn(as("reader")));
    const res = await http.postForm(
      `${idp.issuer}/token`,
      { grant_type: "refresh_token", refresh_token: t.refresh_token ?? "", client_id: CLIENT_ID },
      { origin: WEB },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(WEB);
    const pre = await preflight(WEB);
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get("access-control-allow-origin")).toBe(WEB);
  });

  it("refuses a stranger origin", async () => {
    const t = remember(await signIn(as("reader")));
    const res = await http.postForm<{ error?: string }>(
      `${idp.issuer}/token`,
      { grant_type: "refresh_token", refresh_token: t.refresh_token ?? "", client_id: CLIENT_ID },
      { origin: "https://evil.example" },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    // The refused request did not consume the refresh token.
    expect((await refresh(t.refresh_token ?? "")).status).toBe(200);
  });
});

describe("RP-initiated logout", () => {
  it("signs the user out and redirects to the registered post-logout URI", async () => {
    await inSession(async (session) => {
      const tokens = remember(await signIn(as("reader", { session })));
      const postLogout = `${WEB}/`;
      const page = await session.request(
        `${idp.issuer}/session/end?${new URLSearchParams({
          id_token_hint: tokens.id_token ?? "",
          post_logout_redirect_uri: postLogout,
          client_id: CLIENT_ID,
        })}`,
      );
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('name="logout"');
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? "";
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
      const done = await session.request(new URL(action, idp.issuer).href, {
        form: { xsrf, logout: "yes" },
      });
      expect(done.status).toBe(303);
      expect(done.headers.get("location")).toBe(postLogout);
      // The IdP session is gone: a new authorization shows the login form again.
      const again = await authorize(as("reader", { session }), session);
      expect(again.pages.length).toBe(1);
      expect(again.pages[0]).toContain('name="password"');
    });
  });

  it("refuses an unregistered post-logout redirect URI", async () => {
    await inSession(async (session) => {
      const tokens = remember(await signIn(as("reader", { session })));
      const res = await session.request(
        `${idp.issuer}/session/end?${new URLSearchParams({
          id_token_hint: tokens.id_token ?? "",
          post_logout_redirect_uri: "https://evil.example/",
        })}`,
      );
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("post_logout_redirect_uri");
    });
  });
});

describe("logs", () => {
  it("the IdP logged no server error during all of the above", () => {
    expect(idpLog.filter((r) => r.level === "error")).toEqual([]);
  });

  it("the refresh-token reuse was logged as a warning naming the subject, without any token", () => {
    const reuse = idpLog.filter((r) => r.event === "refresh_token_reuse");
    expect(reuse).toHaveLength(1);
    expect(reuse[0]?.message).toContain("sub writer");
    for (const token of issued) {
      for (const r of idpLog) expect(JSON.stringify(r)).not.toContain(token);
    }
  });
});
