/**
 * Session mode through the real Envoy (1.40) and the demo IdP, without a browser: a hand-kept
 * cookie jar that drops cookies at Max-Age like a browser. The Chromium specs prove the same
 * things in a browser (test/e2e); this suite pins the gateway's exact behaviour.
 */

import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { type Idp, startIdp } from "../../../demo/idp/server.js";
import { DEMO_API_AUDIENCE } from "../../../demo/oidc-client.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import { SESSION_COOKIES } from "../../../src/envoy/generate/session.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { HttpSession } from "../../helpers/oidc-flow.js";

const bin = findEnvoy(repoRoot);
const APP = "https://localhost:5173";
/** Access-token lifetime: short, so the suite can wait for expiry. */
const TTL = 4;

/** A browser-like client: navigations and gRPC-Web calls from the app's origin, one cookie jar. */
class Browser {
  readonly http: HttpSession;
  constructor(
    pki: DevPki,
    readonly gateway: string,
  ) {
    this.http = HttpSession.fromCaFile(pki.ca.cert);
  }

  /** A top-level navigation that follows redirects (through the IdP's login form). */
  async navigate(path: string, login?: { login: string; password: string }): Promise<string[]> {
    const trail: string[] = [];
    let url = new URL(path, this.gateway).href;
    let form: Record<string, string> | undefined;
    for (let hop = 0; hop < 16; hop++) {
      const res = await this.http.request(url, {
        headers: { "sec-fetch-mode": "navigate" },
        ...(form ? { form } : {}),
      });
      form = undefined;
      trail.push(`${res.status} ${new URL(url).origin}${new URL(url).pathname}`);
      const location = res.headers.get("location");
      if (location) {
        url = new URL(location, url).href;
        if (url.startsWith(APP)) return [...trail, `app ${url}`];
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html)?.[1];
      if (!action) return trail;
      url = new URL(action.replace(/&amp;/g, "&"), url).href;
      // Hidden inputs (the logout page's xsrf and logout=yes), plus the credentials on a login form.
      const hidden = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)];
      form = Object.fromEntries(hidden.map((m) => [m[1] ?? "", m[2] ?? ""]));
      // Clicking the first (autofocus) submit button: the logout page's "Sign out" (logout=yes).
      const button = /<button autofocus[^>]*value="([^"]*)" name="([^"]+)"/.exec(html);
      if (button?.[2]) form[button[2]] = button[1] ?? "";
      if (/name="login"/.test(html)) {
        if (!login) return trail;
        Object.assign(form, login);
      }
    }
    throw new Error(`no end after 16 hops: ${trail.join(" -> ")}`);
  }

  /** A gRPC-Web transport whose fetch sends this jar's cookies from the app's origin. */
  transport(headers: Record<string, string> = {}): Transport {
    return createGrpcWebTransport({
      baseUrl: this.gateway,
      fetch: async (input, init) => {
        const h = Object.fromEntries(new Headers(init?.headers));
        const body = init?.body instanceof Uint8Array ? init.body : undefined;
        return (await this.http.request(String(input), {
          method: init?.method ?? "POST",
          headers: { ...h, origin: APP, "sec-fetch-mode": "cors", ...headers },
          ...(body ? { body } : {}),
        })) as unknown as Response;
      },
    });
  }

  notes(headers: Record<string, string> = {}) {
    return createClient(NotesService, this.transport(headers));
  }
}

/** Runs `call`, returning "ok" or the Connect error's code name. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (err) {
    return String((err as { code?: number }).code ?? err);
  }
}

describe.skipIf(!bin)("session mode through Envoy (oauth2 filter + demo IdP)", () => {
  let pki: DevPki;
  let idp: Idp;
  let backend: Backend;
  let envoy: RunningEnvoy;
  /** The gateway's refresh tokens rotate: envoyproxy/gateway#9820 (the failure we avoid). */
  let rotatingIdp: Idp;
  let rotatingEnvoy: RunningEnvoy;
  const envoyLog: string[] = [];

  async function stack(rotate: boolean): Promise<[Idp, RunningEnvoy]> {
    const port = await freePort();
    const gw = `https://localhost:${port}`;
    const i = await startIdp({
      pki,
      accessTokenTtl: TTL,
      renewWindow: 0,
      redirectUris: [`${APP}/`],
      gatewayClient: {
        secretFile: pki.secrets.gatewayClientSecret,
        redirectUris: [`${gw}/oauth2/callback`],
        postLogoutRedirectUris: [`${APP}/`],
        rotateRefreshTokens: rotate,
      },
      log: (r) => envoyLog.push(`[idp] ${r.event}: ${r.message}`),
    });
    backend ??= await startBackend({
      pki,
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: DEMO_API_AUDIENCE,
      allowedOrigins: [APP],
    });
    const e = await startEnvoy({
      pki,
      port,
      idpIssuer: i.issuer,
      jwksUri: i.jwksUri,
      backendPort: backend.mtlsPort,
      allowedOrigins: [APP],
      session: { appUrl: `${APP}/` },
      // Envoy's own words on a failed refresh (never a token), for a failing assertion.
      log: (line) => {
        if (/\[(oauth2|warning)\]|"status":(401|5\d\d)/.test(line))
          envoyLog.push(line.slice(0, 400));
      },
    });
    return [i, e];
  }

  beforeAll(async () => {
    pki = ensureDevPki(join(tmpdir(), `gwo-session-it-${process.pid}`));
    [idp, envoy] = await stack(false);
  }, 180_000);

  afterAll(async () => {
    await rotatingEnvoy?.close();
    await rotatingIdp?.close();
    await envoy?.close();
    await backend?.close();
    await idp?.close();
  });

  it("answers a gRPC-Web call without a session with UNAUTHENTICATED (trailers-only, the shape every client reads), never a redirect", async () => {
    const b = new Browser(pki, envoy.url);
    const res = await b.http.request(`${envoy.url}/demo.v1.NotesService/ListNotes`, {
      method: "POST",
      headers: {
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
        origin: APP,
        "sec-fetch-mode": "cors",
      },
      body: new Uint8Array(5),
    });
    // The oauth2 filter's 401, as the gateway's local-reply table shapes every refusal.
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("grpc-status")).toBe("16");
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(await outcome(() => b.notes().listNotes({}))).toBe("16");
  });

  it("answers the app's CORS preflight itself (allow-credentials), and a stranger's without allowing it", async () => {
    const b = new Browser(pki, envoy.url);
    const preflight = (origin: string) =>
      b.http.request(`${envoy.url}/demo.v1.NotesService/WhoAmI`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-grpc-web,x-user-agent",
        },
      });
    const ok = await preflight(APP);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.getSetCookie()).toEqual([]);
    const stranger = await preflight("https://evil.example");
    expect(stranger.headers.get("location")).toBeNull();
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("signs in with a top-level navigation: 302 to the IdP (PKCE S256), back to the app with __Host- HttpOnly cookies", async () => {
    const b = new Browser(pki, envoy.url);
    const first = await b.http.request(`${envoy.url}/oauth2/signin`, {
      headers: { "sec-fetch-mode": "navigate" },
    });
    expect(first.status).toBe(302);
    const auth = new URL(first.headers.get("location") ?? "");
    expect(auth.origin).toBe(idp.issuer);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("redirect_uri")).toBe(`${envoy.url}/oauth2/callback`);

    const trail = await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    expect(trail.at(-1)).toBe(`app ${APP}/`);
    const names = b.http.cookieNames();
    for (const n of [
      SESSION_COOKIES.bearer_token,
      SESSION_COOKIES.oauth_hmac,
      SESSION_COOKIES.refresh_token,
      SESSION_COOKIES.id_token,
    ])
      expect(names).toContain(n);
    expect(await outcome(() => b.notes().listNotes({}))).toBe("ok");
    expect((await b.notes().whoAmI({})).subject).toBe("admin");
  });

  it("sets every session cookie Secure, HttpOnly, Path=/, SameSite=Lax, without Domain", async () => {
    const b = new Browser(pki, envoy.url);
    const lines: string[] = [];
    const orig = b.http.request.bind(b.http);
    b.http.request = async (url, init) => {
      const res = await orig(url, init);
      lines.push(...res.headers.getSetCookie().filter((l) => !/=deleted;/.test(l)));
      return res;
    };
    await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    const ours = lines.filter((l) => l.startsWith("__Host-gwo-"));
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const l of ours) {
      const attrs = l.toLowerCase();
      expect(attrs).toContain("secure");
      expect(attrs).toContain("httponly");
      expect(attrs).toContain("path=/");
      expect(attrs).toContain("samesite=lax");
      expect(attrs).not.toContain("domain=");
    }
  });

  it("refuses cookie-carrying requests that are not same-origin gRPC-Web calls", async () => {
    const b = new Browser(pki, envoy.url);
    await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    const post = (headers: Record<string, string>, body: Uint8Array) =>
      b.http.request(`${envoy.url}/demo.v1.NotesService/PurgeNotes`, {
        method: "POST",
        headers,
        body,
      });
    // A cross-site HTML form: Origin of another site, a form content type, no x-grpc-web.
    const form = await post(
      { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      new TextEncoder().encode("a=b"),
    );
    // The csrf filter's 403 (in the gateway's one refusal shape: PERMISSION_DENIED).
    expect(form.headers.get("grpc-status") ?? String(form.status)).toMatch(/^(7|403)$/);
    // A cross-site fetch with the gRPC-Web headers (a browser would stop at the preflight).
    const xhr = await post(
      {
        origin: "https://evil.example",
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
      },
      new Uint8Array(5),
    );
    expect(xhr.headers.get("grpc-status")).toBe("7");
    expect(xhr.headers.get("access-control-allow-origin")).toBeNull();
    // The app's own origin, but without x-grpc-web (a form-like request): no RPC route.
    const noHeader = await post(
      { origin: APP, "content-type": "application/grpc-web+proto" },
      new Uint8Array(5),
    );
    // No RPC route matches: the router's 404, or the refusal shape of the local-reply table.
    expect(noHeader.headers.get("grpc-status") ?? String(noHeader.status)).not.toBe("0");
    expect([404, 200]).toContain(noHeader.status);
  });

  it("refreshes at expiry: 50 concurrent calls all succeed and the session survives (no rotation, no reuse)", async () => {
    const b = new Browser(pki, envoy.url);
    await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    const before = { ...idp.stats };
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
    expect(b.http.cookieNames()).not.toContain(SESSION_COOKIES.bearer_token);
    const client = b.notes();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => outcome(() => client.listNotes({}))),
    );
    expect(
      results.filter((r) => r !== "ok"),
      envoyLog.join("\n"),
    ).toEqual([]);
    expect(idp.stats.refreshGrants - before.refreshGrants).toBeGreaterThanOrEqual(1);
    expect(idp.stats.refreshReuse - before.refreshReuse).toBe(0);
    expect(await outcome(() => client.listNotes({}))).toBe("ok");
  }, 180_000);

  it("with rotation at the IdP (envoyproxy/gateway#9820) the same burst ends the session", async () => {
    [rotatingIdp, rotatingEnvoy] = await stack(true);
    const b = new Browser(pki, rotatingEnvoy.url);
    await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
    const client = b.notes();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => outcome(() => client.listNotes({}))),
    );
    expect(rotatingIdp.stats.refreshReuse).toBeGreaterThan(0);
    expect(results.filter((r) => r !== "ok").length).toBeGreaterThan(0);
  }, 180_000);

  it("signs out: every session cookie cleared, then the IdP session ends too", async () => {
    const b = new Browser(pki, envoy.url);
    await b.navigate("/oauth2/signin", { login: "admin", password: "admin" });
    const res = await b.http.request(`${envoy.url}/oauth2/signout`, {
      headers: { "sec-fetch-mode": "navigate" },
    });
    expect(res.status).toBe(302);
    const cleared = res.headers
      .getSetCookie()
      .filter((l) => /expires=Thu, 01 Jan 1970/.test(l))
      .map((l) => l.slice(0, l.indexOf("=")));
    expect(cleared.sort()).toEqual(
      [
        SESSION_COOKIES.bearer_token,
        SESSION_COOKIES.oauth_hmac,
        SESSION_COOKIES.oauth_expires,
        SESSION_COOKIES.id_token,
        SESSION_COOKIES.refresh_token,
      ].sort(),
    );
    expect(b.http.cookieNames().filter((n) => n.startsWith("__Host-gwo-"))).toEqual([]);
    const end = new URL(res.headers.get("location") ?? "");
    expect(`${end.origin}${end.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(end.searchParams.get("id_token_hint")).toBeTruthy();
    // Confirm at the IdP (its logout page), which ends its session and returns to the app.
    const trail = await b.navigate(end.href);
    expect(trail.at(-1)).toBe(`app ${APP}/`);
    expect(await outcome(() => b.notes().listNotes({}))).toBe("16");
    // The next sign-in shows the login form again: the IdP session is gone.
    const again = await b.navigate("/oauth2/signin");
    expect(again.some((s) => s.includes("/interaction/"))).toBe(true);
    expect(again.at(-1)).not.toMatch(/^app /);
  }, 180_000);
});
