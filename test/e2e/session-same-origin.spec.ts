/**
 * Session mode, same-origin deployment (`session.app` in gateway.yaml; `sameOrigin: true` here):
 * the gateway serves the app's files and its API on one origin, so the browser never makes a
 * cross-origin request and CORS allows no other origin at all. The app sits behind the sign-in:
 * opening it without a session goes to the IdP, and a script cannot fetch its files without one.
 */

import type { Page } from "@playwright/test";
import { SESSION_COOKIES } from "../../src/envoy/generate/session.js";
import { byId, callAndWait, watchStream } from "./app.js";
import { expect, test } from "./fixtures.js";

test.use({ stackOptions: { session: true, sameOrigin: true } });

/** Opens the app on the gateway: the IdP's login form first, then the app, signed in. */
async function openSignedIn(page: Page, appUrl: string, user: string): Promise<void> {
  await page.goto(appUrl);
  await page.waitForSelector("input[name=login]");
  await page.fill("input[name=login]", user);
  await page.fill("input[name=password]", user);
  await page.click("button[type=submit]");
  await page.waitForURL((u) => u.origin === new URL(appUrl).origin, { timeout: 60_000 });
  await page.waitForSelector('body[data-ready="true"]');
  await byId(page, "session-subject").filter({ hasText: user }).waitFor();
}

test("1. one origin: opening the app signs in at the IdP; files, calls and the stream come from the gateway with no CORS", async ({
  page,
  stack,
  appUrl,
}) => {
  expect(new URL(appUrl).origin).toBe(stack.apiUrl);
  const seen: { url: string; status: number; acao: string | undefined }[] = [];
  page.on("response", async (res) => {
    if (!res.url().startsWith(stack.apiUrl)) return;
    const h = await res.allHeaders();
    seen.push({ url: res.url(), status: res.status(), acao: h["access-control-allow-origin"] });
  });
  const preflights: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "OPTIONS") preflights.push(r.url());
  });

  await openSignedIn(page, appUrl, "writer");
  await expect(byId(page, "session-badge")).toBeVisible();
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  expect(await watchStream(page, 3, 50)).toBe("OK");

  // The page, its script and config, and every RPC: all answered on the gateway's origin.
  const paths = seen.map((s) => new URL(s.url).pathname);
  expect(paths).toContain("/config.json");
  expect(paths).toContain("/demo.v1.NotesService/WhoAmI");
  expect(seen.some((s) => s.url.endsWith(".js") && s.status === 200)).toBe(true);
  // Same origin: no preflight, no CORS header on any answer.
  expect(preflights).toEqual([]);
  expect(seen.filter((s) => s.acao !== undefined)).toEqual([]);
  // The session cookies stay out of the page's reach.
  expect(await page.evaluate(() => document.cookie)).toBe("");
});

test("2. without a session: a navigation goes to the IdP, a script gets 401 for the app's files, and no other origin may call", async ({
  browser,
  stack,
  appUrl,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A navigation: the gateway sends the browser to the IdP's login form.
  await page.goto(appUrl);
  await page.waitForSelector("input[name=login]");
  expect(new URL(page.url()).origin).toBe(stack.idp.issuer);

  // A script request without a session (from the IdP's page: no cookie for the gateway).
  const file = await page.evaluate(async (url) => {
    const res = await fetch(`${url}/config.json`, { credentials: "include" }).catch(
      () => undefined,
    );
    return res ? res.status : "blocked";
  }, stack.apiUrl);
  // Cross-origin and not allowed by CORS: the browser may not even read the status.
  expect(["blocked", 401]).toContain(file);

  // Signed in, another origin (here the IdP's page) still cannot call with the session.
  await page.fill("input[name=login]", "reader");
  await page.fill("input[name=password]", "reader");
  await page.click("button[type=submit]");
  await page.waitForURL((u) => u.origin === stack.apiUrl, { timeout: 60_000 });
  await page.waitForSelector('body[data-ready="true"]');
  const other = await context.newPage();
  await other.goto(`${stack.idp.issuer}/.well-known/openid-configuration`);
  const cross = await other.evaluate(async (api) => {
    try {
      const res = await fetch(`${api}/demo.v1.NotesService/ListNotes`, {
        method: "POST",
        credentials: "include",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: new Uint8Array(5),
      });
      return `status ${res.status} grpc ${res.headers.get("grpc-status")}`;
    } catch {
      return "blocked";
    }
  }, stack.apiUrl);
  expect(cross).toBe("blocked");
  await context.close();
});

test("3. sign-out clears the gateway's cookies and the IdP session: the next visit asks to sign in", async ({
  page,
  context,
  stack,
  appUrl,
}) => {
  await openSignedIn(page, appUrl, "reader");
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  await byId(page, "btn-signout").click();
  // The IdP may ask to confirm; after it the gateway (the app's origin) sends the browser to
  // sign in again, because the app itself needs a session.
  await page.waitForURL((u) => u.origin === stack.idp.issuer, { timeout: 30_000 });
  if (await page.locator("button[name=logout]").count()) {
    await page.click("button[name=logout]");
  }
  await page.waitForSelector("input[name=login]", { timeout: 30_000 });
  // The session's cookies are gone; what is left is the new sign-in's nonce and PKCE verifier.
  const session: string[] = [
    SESSION_COOKIES.bearer_token,
    SESSION_COOKIES.oauth_hmac,
    SESSION_COOKIES.oauth_expires,
    SESSION_COOKIES.id_token,
    SESSION_COOKIES.refresh_token,
  ];
  const left = (await context.cookies(stack.apiUrl)).map((c) => c.name.split(".")[0]);
  expect(left.filter((n) => session.includes(n ?? ""))).toEqual([]);
  expect(new Set(left)).toEqual(
    new Set([SESSION_COOKIES.oauth_nonce, SESSION_COOKIES.code_verifier]),
  );
});
