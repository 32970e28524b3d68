/**
 * RP-initiated logout at the demo IdP: when the app asks with a valid id_token_hint, the
 * browser is signed out and sent back without a confirmation page; a bare logout link (which
 * any page could open) still asks.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Idp, startIdp } from "../../demo/idp/server.js";
import { ensureDevPki } from "../../demo/pki.js";
import { authorize, exchangeCode, HttpSession } from "../helpers/oidc-flow.js";

const REDIRECT = "https://localhost:5999/";
let dir: string;
let idp: Idp;
let ca: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-logout-"));
  const pki = ensureDevPki(dir);
  ca = readFileSync(pki.ca.cert);
  idp = await startIdp({ pki, port: 0, redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Signs in in `http` (keeping the IdP session cookie); returns the ID token. */
async function signedIn(http: HttpSession): Promise<string> {
  const o = { issuer: idp.issuer, redirectUri: REDIRECT, login: "reader", password: "reader" };
  const { callback, codeVerifier } = await authorize(o, http);
  const res = await exchangeCode(o, http, callback.searchParams.get("code") ?? "", codeVerifier);
  expect(res.status).toBe(200);
  return res.body.id_token ?? "";
}

async function endSession(http: HttpSession, params: Record<string, string>) {
  const res = await http.request(`${idp.issuer}/session/end?${new URLSearchParams(params)}`);
  return {
    status: res.status,
    csp: res.headers.get("content-security-policy"),
    html: await res.text(),
  };
}

/** Submits the page's logout form as a browser would (its inputs, plus the pressed button). */
async function submit(http: HttpSession, html: string, extra: Record<string, string> = {}) {
  const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1] ?? "";
  const form: Record<string, string> = { ...extra };
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g))
    form[m[1] ?? ""] = m[2] ?? "";
  return http.request(new URL(action, idp.issuer).href, { form });
}

describe("demo IdP sign-out", () => {
  it("signs out at once when the app sends a valid id_token_hint: no confirmation page", async () => {
    const http = new HttpSession(ca);
    try {
      const idToken = await signedIn(http);
      const page = await endSession(http, {
        id_token_hint: idToken,
        post_logout_redirect_uri: REDIRECT,
        state: "s1",
      });
      expect(page.status).toBe(200);
      expect(page.html).not.toContain("Stay signed in");
      // The only script is the auto-submit, and the CSP allows exactly it.
      const script = /<script>([^<]*)<\/script>/.exec(page.html)?.[1] ?? "";
      expect(script).toContain("submit()");
      const hash = createHash("sha256").update(script).digest("base64");
      expect(page.csp).toContain(`script-src 'sha256-${hash}'`);
      expect(page.csp).toContain("default-src 'none'");
      const done = await submit(http, page.html);
      expect(done.status).toBeGreaterThanOrEqual(300);
      expect(done.headers.get("location")).toBe(`${REDIRECT}?state=s1`);
      // The IdP session is over: a new authorization asks for the password again.
      const again = await http.request(
        `${idp.issuer}/auth?client_id=grpc-web-oidc-demo&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${"a".repeat(43)}&code_challenge_method=S256`,
      );
      expect(again.headers.get("location") ?? "").toMatch(/\/interaction\//);
    } finally {
      await http.close();
    }
  });

  it("asks for confirmation when the request carries no id_token_hint", async () => {
    const http = new HttpSession(ca);
    try {
      await signedIn(http);
      const page = await endSession(http, { client_id: "grpc-web-oidc-demo" });
      expect(page.status).toBe(200);
      expect(page.html).toContain("Stay signed in");
      expect(page.html).not.toContain("<script>");
    } finally {
      await http.close();
    }
  });

  it("refuses a forged id_token_hint", async () => {
    const http = new HttpSession(ca);
    try {
      const idToken = await signedIn(http);
      const [h, p] = idToken.split(".");
      const page = await endSession(http, { id_token_hint: `${h}.${p}.AAAA` });
      expect(page.status).toBe(400);
      expect(page.html).not.toContain("<script>");
    } finally {
      await http.close();
    }
  });
});
