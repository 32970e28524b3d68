/**
 * The demo app in real Chromium against the real stack (IdP, backend, web app, and Envoy on
 * the `envoy` project), once per path: "direct" (the backend's own gRPC-Web listener) and
 * "envoy" (browser → Envoy → mTLS → backend). The same scenarios must pass on both.
 * Screenshots of the states worth seeing are attached to the HTML report.
 */

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { GATEWAY_SPIFFE } from "../../demo/pki.js";
import type { Stack } from "../../demo/stack.js";
import type { WebAppConfig } from "../../demo/web/config.js";
import { getJson } from "../helpers/https-get.js";
import {
  burst,
  byId,
  callAndWait,
  countLog,
  oidcUserEntries,
  openApp,
  screenshot,
  watchStream,
} from "./app.js";
import { expect, DEFAULT_RENEW_WINDOW as LEEWAY, DEFAULT_TTL as TTL, test } from "./fixtures.js";

test("1. reader and admin: unary calls, the stream, admin call denied for reader and allowed for admin", async ({
  browser,
  signIn,
  stackPath,
}) => {
  const page = await signIn("reader");
  expect(await byId(page, "session-scopes").textContent()).toContain("notes.read");
  expect(await byId(page, "session-roles").textContent()).not.toContain("admin");
  expect(Number(await byId(page, "session-expiry").getAttribute("data-seconds"))).toBeGreaterThan(
    0,
  );

  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  const whoami = (await byId(page, "call-result").textContent()) ?? "";
  expect(whoami).toContain("reader");
  // Through Envoy the backend sees the gateway's mTLS identity; directly, no peer at all.
  if (stackPath === "envoy") expect(whoami).toContain(`via ${GATEWAY_SPIFFE}`);
  else expect(whoami).not.toContain("via ");
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  await byId(page, "note-text").fill("from the reader");
  expect(await callAndWait(page, "btn-create")).toBe("PERMISSION_DENIED");
  expect(await callAndWait(page, "btn-purge")).toBe("PERMISSION_DENIED");
  expect(await byId(page, "call-result").textContent()).toContain("Permission denied");
  expect(await watchStream(page, 5, 100)).toBe("OK");
  expect(await byId(page, "watch-message").count()).toBe(5);
  await screenshot(page, "1-reader");

  // A second browser context: a separate session, as another person on another machine.
  const admin = await browser.newContext();
  const apage = await signIn("admin", { page: await admin.newPage() });
  expect(await byId(apage, "session-roles").textContent()).toContain("admin");
  await byId(apage, "note-text").fill("hello from the admin");
  expect(await callAndWait(apage, "btn-create")).toBe("OK");
  expect(await callAndWait(apage, "btn-list")).toBe("OK");
  expect(await byId(apage, "note").allTextContents()).toContainEqual(
    expect.stringContaining("hello from the admin"),
  );
  expect(await callAndWait(apage, "btn-purge")).toBe("OK");
  expect(await byId(apage, "call-result").textContent()).toMatch(/deleted [1-9]\d* note/);
  // Stop aborts a running stream: fewer than asked for, and a clean "stopped" state.
  await byId(apage, "watch-count").fill("50");
  await byId(apage, "watch-interval").fill("200");
  await byId(apage, "btn-watch").click();
  await byId(apage, "watch-message").nth(1).waitFor();
  await byId(apage, "btn-watch-stop").click();
  await apage.waitForSelector('[data-testid="watch-status"][data-state="stopped"]');
  expect(await byId(apage, "watch-message").count()).toBeLessThan(50);
  expect(await watchStream(apage, 4, 50)).toBe("OK");
  expect(await byId(apage, "watch-message").count()).toBe(4);
  await screenshot(apage, "1-admin");
  await admin.close();
});

test("2. refresh during activity: calls keep succeeding across a refresh, no error shown", async ({
  signIn,
}) => {
  const page = await signIn("writer");
  const deadline = Date.now() + (TTL + LEEWAY) * 2000;
  let callsAfterRefresh = 0;
  const codes: string[] = [];
  // Keep calling (unary and stream) until a refresh happened and calls followed it.
  while (Date.now() < deadline) {
    codes.push(...(await burst(page, ["btn-whoami", "btn-list", "btn-whoami"])));
    codes.push(await watchStream(page, 2, 50));
    const refreshes = await countLog(page, '[data-event="refresh-done"]');
    if (refreshes >= 1 && ++callsAfterRefresh > 2) break;
    await page.waitForTimeout(500);
  }
  expect(await countLog(page, '[data-event="refresh-done"]')).toBeGreaterThanOrEqual(1);
  expect(codes.filter((c) => c !== "OK")).toEqual([]);
  expect(await countLog(page, '[data-level="error"]')).toBe(0);
  expect(await byId(page, "app-error").isVisible()).toBe(false);
  expect(await byId(page, "signin-prompt").isVisible()).toBe(false);
  await screenshot(page, "2-refresh-during-activity");
});

test("3. two tabs sharing storage: one refresh-token grant per expiry, never a reused refresh token", async ({
  appUrl,
  context,
  signIn,
  stack,
}) => {
  const tab1 = await signIn("reader");
  const tab2 = await context.newPage();
  await openApp(tab2, appUrl);
  await byId(tab2, "session-subject").filter({ hasText: "reader" }).waitFor();
  const grants0 = stack.idp.stats.refreshGrants;
  const reuse0 = stack.idp.stats.refreshReuse;

  // Both tabs call at the same moment (two calls each), through two expiries: without the
  // cross-tab lock both would present the same refresh token.
  const bothTabs = async () => {
    const codes = await Promise.all([
      burst(tab1, ["btn-whoami", "btn-list"]),
      burst(tab2, ["btn-list", "btn-whoami"]),
    ]);
    expect(codes.flat()).toEqual(["OK", "OK", "OK", "OK"]);
  };
  const refreshesIn = async (n: number) => {
    while (
      (await countLog(tab1, '[data-event="refresh-done"]')) < n ||
      (await countLog(tab2, '[data-event="refresh-done"]')) < n
    ) {
      await bothTabs();
      await tab1.waitForTimeout(500);
    }
    // One more call from each tab after the refresh: neither may start another grant.
    expect(await callAndWait(tab1, "btn-whoami")).toBe("OK");
    expect(await callAndWait(tab2, "btn-whoami")).toBe("OK");
  };
  await refreshesIn(1);
  expect(stack.idp.stats.refreshGrants - grants0).toBe(1);
  await refreshesIn(2);
  expect(stack.idp.stats.refreshGrants - grants0).toBe(2);
  expect(stack.idp.stats.refreshReuse - reuse0).toBe(0);
  // Each refresh was done by one tab and reused by the other.
  const sources = async (page: Page) =>
    page
      .locator('[data-testid="log-entry"][data-event="refresh-done"]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.source));
  const all = [...(await sources(tab1)), ...(await sources(tab2))];
  expect(all.filter((s) => s === "this-tab")).toHaveLength(2);
  expect(all.filter((s) => s === "other-tab")).toHaveLength(2);
  await screenshot(tab1, "3-two-tabs-tab1");
  await screenshot(tab2, "3-two-tabs-tab2");
});

test("4. refresh token revoked at the IdP: the sign-in prompt once, no loop", async ({
  signIn,
  stack,
}) => {
  const page = await signIn("writer");
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  const tokenEndpoint = `${stack.idp.issuer}/token`;
  let tokenRequests = 0;
  page.on("request", (r) => {
    if (r.url().startsWith(tokenEndpoint) && r.method() === "POST") tokenRequests++;
  });
  expect(await stack.idp.revokeGrants("writer")).toBeGreaterThan(0);

  // Wait until the token is due for refresh, then call: the refresh fails for good.
  await page.waitForFunction(
    (leeway) =>
      Number(
        document.querySelector('[data-testid="session-expiry"]')?.getAttribute("data-seconds"),
      ) < leeway,
    LEEWAY,
    { timeout: (TTL + 5) * 1000 },
  );
  const first = await callAndWait(page, "btn-whoami");
  expect(first).toBe("UNAUTHENTICATED");
  await byId(page, "signin-prompt").waitFor();
  // More calls fail fast: no new token request, no second prompt, no second event.
  expect(await callAndWait(page, "btn-list")).toBe("UNAUTHENTICATED");
  expect(await callAndWait(page, "btn-whoami")).toBe("UNAUTHENTICATED");
  await page.waitForTimeout(1500);
  expect(tokenRequests).toBe(1);
  expect(await countLog(page, '[data-event="session-ended"]')).toBe(1);
  expect(await byId(page, "signin-prompt").getAttribute("data-shown-count")).toBe("1");
  expect(await oidcUserEntries(page)).toEqual([]);
  await screenshot(page, "4-revoked");
});

test("5. CORS: a page on a foreign origin cannot call the API; the app's origin can", async ({
  appUrl,
  context,
  stack,
}) => {
  const foreign = await startForeignOrigin(stack);
  try {
    const page = await context.newPage();
    await page.goto(foreign.url);
    const blocked = await page.evaluate(healthCheck, stack.apiUrl);
    expect(blocked).toMatchObject({ ok: false });
    await screenshot(page, "5-cors-foreign");

    const app = await context.newPage();
    await openApp(app, appUrl);
    const allowed = await app.evaluate(healthCheck, stack.apiUrl);
    expect(allowed).toMatchObject({ ok: true, status: 200, grpcStatus: "0" });
    await screenshot(app, "5-cors-app");
  } finally {
    await new Promise((ok) => foreign.server.close(ok));
  }
});

test("6. an app configured with an http:// API URL refuses to call and says why", async ({
  appUrl,
  page,
  signIn,
  stack,
}) => {
  const insecureApi = stack.apiUrl.replace(/^https:/, "http:");
  const config = (await getJson(`${appUrl}/config.json`, stack.pki.ca.cert)) as WebAppConfig;
  expect(config.apiUrl).toBe(stack.apiUrl);
  await page.route(`${appUrl}/config.json`, (route) =>
    route.fulfill({ json: { ...config, apiUrl: insecureApi } }),
  );
  const apiRequests: string[] = [];
  const apiOrigin = new URL(insecureApi).origin;
  page.on("request", (r) => {
    if (r.url().startsWith(apiOrigin)) apiRequests.push(r.url());
  });
  await signIn("reader", { page });
  const banner = byId(page, "insecure-banner");
  expect(await banner.isVisible()).toBe(true);
  expect(await banner.textContent()).toContain(`refusing to send credentials to ${apiOrigin}`);
  expect(await banner.textContent()).toContain("plaintext http");
  expect(await callAndWait(page, "btn-whoami")).toBe("REFUSED");
  expect(await byId(page, "call-result").textContent()).toContain("not sent");
  expect(apiRequests).toEqual([]);
  await screenshot(page, "6-insecure-api-url");
});

test("7. sign-out clears the tokens from storage (shared: IndexedDB, and ?storage=session)", async ({
  appUrl,
  browser,
  signIn,
}) => {
  const appOrigin = new URL(appUrl).origin;
  for (const storage of ["local", "session"] as const) {
    const ctx = await browser.newContext();
    const page = await signIn("reader", {
      page: await ctx.newPage(),
      ...(storage === "local" ? {} : { path: `/?storage=${storage}` }),
    });
    expect(await byId(page, "storage-badge").textContent()).toBe(`storage: ${storage}`);
    const before = await oidcUserEntries(page);
    // "local" (shared by tabs) keeps tokens in IndexedDB, which every tab sees at once.
    expect(before.map((e) => e.area)).toEqual([storage === "local" ? "indexeddb" : storage]);
    const stored = JSON.parse(before[0]!.value) as {
      access_token: string;
      refresh_token: string;
    };
    expect(stored.refresh_token).toBeTruthy();

    // Through the IdP (which signs out at once: the app sent its id_token_hint) and back to
    // the app (its only navigation after the click); listening starts before the click.
    // The app's only navigation after the click is the post-logout redirect back to it.
    const backToApp = page.waitForRequest(
      (r) => r.isNavigationRequest() && r.url().startsWith(appOrigin),
    );
    await byId(page, "btn-signout").click();
    await backToApp;
    await page.waitForSelector("body[data-ready]");
    await byId(page, "signed-out").waitFor();

    expect(await oidcUserEntries(page)).toEqual([]);
    const everything = await page.evaluate(() =>
      [localStorage, sessionStorage].flatMap((s) =>
        Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? "")}`),
      ),
    );
    for (const entry of everything) {
      expect(entry.includes(stored.access_token)).toBe(false);
      expect(entry.includes(stored.refresh_token)).toBe(false);
    }
    await screenshot(page, `7-signed-out-${storage}`);
    await ctx.close();
  }
});

/** Runs in the page: one gRPC-Web Health/Check, reporting whether the browser let it through. */
async function healthCheck(
  apiUrl: string,
): Promise<{ ok: boolean; status?: number; grpcStatus?: string | null; error?: string }> {
  try {
    const res = await fetch(`${apiUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: {
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
        "x-user-agent": "grpc-web-oidc-e2e",
      },
      body: new Uint8Array([0, 0, 0, 0, 0]),
    });
    // OK arrives in the trailer frame (flag 0x80) of the body; errors may come as headers.
    const body = new Uint8Array(await res.arrayBuffer());
    let grpcStatus = res.headers.get("grpc-status");
    for (let i = 0; i + 5 <= body.length; ) {
      const len = new DataView(body.buffer, body.byteOffset + i + 1, 4).getUint32(0);
      if (body[i] === 0x80) {
        const trailer = new TextDecoder().decode(body.subarray(i + 5, i + 5 + len));
        grpcStatus = /grpc-status:\s*(\d+)/i.exec(trailer)?.[1] ?? grpcStatus;
      }
      i += 5 + len;
    }
    return { ok: true, status: res.status, grpcStatus };
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

/** A tiny page on https://127.0.0.1:<port>: same certificate, an origin the API does not allow. */
async function startForeignOrigin(stack: Stack): Promise<{ url: string; server: Server }> {
  const server = createServer(
    { cert: readFileSync(stack.pki.localhost.cert), key: readFileSync(stack.pki.localhost.key) },
    (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>Another site</title><h1>Another site</h1>");
    },
  );
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}
