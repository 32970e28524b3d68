/**
 * Session mode with Keycloak as the IdP (realm `notes-bff`): Envoy's oauth2 filter is
 * Keycloak's confidential client and holds the tokens in HttpOnly cookies. Sign-in on
 * Keycloak's login page, calls, 50 concurrent calls when the access token has expired (every
 * call refreshes on its own: no refresh token may be refused), sign-out at Keycloak.
 *
 * `bash scripts/setup-keycloak.sh && npx playwright test --project keycloak session`
 */
import { SESSION_COOKIES } from "../../src/envoy/generate/session.js";
import { burst, byId, callAndWait, countLog } from "../e2e/app.js";
import { appSignIn, attachDiagnostics, expect, MODE_TOKEN_TTL_S, test } from "./fixtures.js";

const SESSION_COOKIE = /^__Host-gwo-/;

test.afterEach(async ({ sessionStack }) => attachDiagnostics(sessionStack));

test("session mode: sign-in through the gateway, 50 concurrent calls at expiry with no session loss, sign-out", async ({
  sessionStack,
  context,
  page,
}) => {
  const { web, envoy, realm } = sessionStack;
  await appSignIn(page, web.url, "writer");
  await expect(byId(page, "session-badge")).toBeVisible();
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  await expect(byId(page, "session-roles")).toContainText("writer");
  // The cookies are the gateway's, HttpOnly: nothing of them reaches the page's script.
  const cookies = (await context.cookies(envoy.url)).filter((c) => SESSION_COOKIE.test(c.name));
  expect(cookies.length).toBeGreaterThan(0);
  expect(cookies.every((c) => c.httpOnly && c.secure)).toBe(true);
  expect(await page.evaluate(() => document.cookie)).toBe("");
  expect(await realm.sessions("writer")).toBe(1);

  // The access-token cookie lives as long as the token: wait until the browser has dropped it.
  await page.waitForTimeout((MODE_TOKEN_TTL_S + 2) * 1000);
  const names = (await context.cookies(envoy.url)).map((c) => c.name);
  expect(names).not.toContain(SESSION_COOKIES.bearer_token);
  expect(names).toContain(SESSION_COOKIES.refresh_token);
  const grants0 = (await realm.events("REFRESH_TOKEN")).length;
  const codes = await burst(
    page,
    Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? "btn-whoami" : "btn-list")),
  );
  expect(codes.filter((c) => c !== "OK")).toEqual([]);
  const grants = (await realm.events("REFRESH_TOKEN")).length - grants0;
  console.log(`keycloak session: 50 calls at expiry, ${grants} refresh grants`);
  expect(grants).toBeGreaterThanOrEqual(1);
  expect(grants).toBeLessThanOrEqual(50);
  // No refresh token refused (reuse, or anything else), and the session lives on.
  expect(await realm.events("REFRESH_TOKEN_ERROR")).toEqual([]);
  expect(await realm.sessions("writer")).toBe(1);
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await countLog(page, '[data-event="session-ended"]')).toBe(0);

  // Sign-out: the gateway clears its cookies and ends the Keycloak session (id_token_hint, no
  // confirmation page), then the browser is back on the app, signed out.
  await byId(page, "btn-signout").click();
  await page.waitForURL((u) => u.origin === web.url && !u.pathname.startsWith("/oauth2"), {
    timeout: 60_000,
  });
  await byId(page, "btn-hero-signin").waitFor();
  expect((await context.cookies(envoy.url)).filter((c) => SESSION_COOKIE.test(c.name))).toEqual([]);
  await expect.poll(() => realm.sessions("writer")).toBe(0);
  expect(await realm.events("LOGOUT")).toHaveLength(1);
});

test("with refresh-token rotation on (a realm-wide setting in Keycloak) the same burst ends the session: why the gateway's realm does not rotate", async ({
  sessionStack,
  browser,
}) => {
  const { web, realm } = sessionStack;
  await realm.setRefreshRotation(true);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await appSignIn(page, web.url, "reader");
    await page.waitForTimeout((MODE_TOKEN_TTL_S + 2) * 1000);
    const errors0 = (await realm.events("REFRESH_TOKEN_ERROR")).length;
    const codes = await burst(
      page,
      Array.from({ length: 50 }, () => "btn-whoami"),
    );
    const failed = codes.filter((c) => c !== "OK").length;
    const reuse = (await realm.events("REFRESH_TOKEN_ERROR")).length - errors0;
    console.log(
      `keycloak session, rotation on: ${failed} of 50 calls failed, ${reuse} refused refreshes`,
    );
    expect(reuse).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  } finally {
    await context.close();
    await realm.setRefreshRotation(false);
  }
});
