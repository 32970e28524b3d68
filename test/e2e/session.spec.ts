/**
 * Session mode (`GWO_SESSION=bff`) in real Chromium, through Envoy: the gateway's oauth2 filter
 * holds the tokens in HttpOnly cookies and the page uses the session transport. Sign-in, calls,
 * the stream, a denial, expiry under concurrent calls, two tabs, sign-out, cross-site attacks,
 * and no token anywhere JavaScript can read.
 */

import type { BrowserContext, Page } from "@playwright/test";
import { burst, byId, callAndWait, countLog, openApp, screenshot, watchStream } from "./app.js";
import { DEFAULT_TTL, expect, test } from "./fixtures.js";

test.use({ stackOptions: { session: true } });

/** A page of another site (served by Chromium's request interception: a real cross-site origin). */
const ATTACKER = "https://attacker.example";

async function attackerPage(context: BrowserContext, html = "<!doctype html><p>hi</p>") {
  const page = await context.newPage();
  await page.route(`${ATTACKER}/**`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: html }),
  );
  await page.goto(`${ATTACKER}/`);
  return page;
}

/** Everything a script on the page can read that might hold a token. */
function jsReadable(page: Page) {
  return page.evaluate(async () => {
    const dbs = (await indexedDB.databases?.()) ?? [];
    return {
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      indexedDb: dbs.map((d) => d.name ?? ""),
    };
  });
}

test("1. sign-in through the gateway; calls, stream and denial; no token in storage, document.cookie or any response", async ({
  signIn,
  stack,
  context,
}) => {
  const bodies: string[] = [];
  const authHeaders: string[] = [];
  context.on("response", async (res) => {
    if (!res.url().startsWith(stack.apiUrl)) return;
    bodies.push((await res.body().catch(() => Buffer.alloc(0))).toString("latin1"));
    bodies.push(JSON.stringify(await res.allHeaders()));
  });
  context.on("request", (req) => {
    if (req.url().startsWith(stack.apiUrl) && req.method() === "POST")
      authHeaders.push(req.headers().authorization ?? "");
  });

  const page = await signIn("reader");
  await expect(byId(page, "session-badge")).toBeVisible();
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  expect(await watchStream(page, 3, 50)).toBe("OK");
  expect(await callAndWait(page, "btn-purge")).toBe("PERMISSION_DENIED");
  await screenshot(page, "session-1-signed-in");

  // The session cookies exist, HttpOnly and __Host-, but a script sees none of them.
  const cookies = (await context.cookies(stack.apiUrl)).filter((c) =>
    c.name.startsWith("__Host-gwo-"),
  );
  expect(cookies.map((c) => c.name)).toEqual(
    expect.arrayContaining(["__Host-gwo-at", "__Host-gwo-rt", "__Host-gwo-hmac"]),
  );
  for (const c of cookies) {
    expect(c.httpOnly, c.name).toBe(true);
    expect(c.secure, c.name).toBe(true);
    expect(c.sameSite, c.name).toBe("Lax");
  }
  const readable = await jsReadable(page);
  expect(readable.cookie).not.toContain("gwo");
  for (const v of [readable.cookie, readable.local, readable.session]) expect(v).not.toMatch(/eyJ/);
  expect(readable.indexedDb).toEqual([]);
  // The page never sent a token; no API response carried one.
  expect(authHeaders.length).toBeGreaterThanOrEqual(4);
  expect(authHeaders.filter((h) => h !== "")).toEqual([]);
  expect(bodies.filter((b) => /eyJ[\w-]{10,}\.[\w-]{10,}/.test(b))).toEqual([]);
});

test("2. a cross-site form POST and a cross-site fetch carrying the session run no RPC", async ({
  signIn,
  context,
  stack,
}) => {
  const app = await signIn("admin");
  await byId(app, "note-text").fill("keep me");
  expect(await callAndWait(app, "btn-create")).toBe("OK");

  const purge = `${stack.apiUrl}/demo.v1.NotesService/PurgeNotes`;
  const refusals: { status: number; grpc: string | null }[] = [];
  context.on("response", (res) => {
    if (res.url() === purge)
      refusals.push({ status: res.status(), grpc: res.headers()["grpc-status"] ?? null });
  });

  // A form on another site, auto-submitted: a top-level cross-site POST.
  const form = await attackerPage(
    context,
    `<!doctype html><form method="post" enctype="text/plain" action="${purge}">` +
      `<input name="x" value="y"></form><script>document.forms[0].submit()</script>`,
  );
  await form.waitForURL((u) => u.href.startsWith(purge), { timeout: 20_000 }).catch(() => {});
  await screenshot(form, "session-2-form-post");

  // fetch from another site: with the gRPC-Web headers (stopped at the preflight), and as a
  // "simple" no-cors request (sent, but refused at the gateway).
  const evil = await attackerPage(context);
  const outcomes = await evil.evaluate(async (url) => {
    const preflighted = await fetch(url, {
      method: "POST",
      credentials: "include",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: new Uint8Array(5),
    }).then(
      (r) => `status ${r.status}`,
      (e: unknown) => `blocked: ${String(e)}`,
    );
    const simple = await fetch(url, {
      method: "POST",
      mode: "no-cors",
      credentials: "include",
      headers: { "content-type": "text/plain" },
      body: "\u0000\u0000\u0000\u0000\u0000",
    }).then(
      (r) => `opaque ${r.type}`,
      (e: unknown) => `blocked: ${String(e)}`,
    );
    return { preflighted, simple };
  }, purge);
  expect(outcomes.preflighted).toMatch(/^blocked/);

  // Every request that reached the gateway was refused (PERMISSION_DENIED from the csrf filter).
  expect(refusals.length).toBeGreaterThanOrEqual(1);
  for (const r of refusals) expect(r.grpc ?? String(r.status)).toMatch(/^(7|403|12|404)$/);
  // And nothing was purged: the note is still there.
  expect(await callAndWait(app, "btn-list")).toBe("OK");
  await expect(byId(app, "notes-list")).toContainText("keep me");
});

test("3. after expiry, concurrent calls all succeed: the gateway refreshes, the session survives", async ({
  signIn,
  stack,
}) => {
  const page = await signIn("writer");
  const refreshBefore = stack.idp.stats.refreshGrants;
  await page.waitForTimeout((DEFAULT_TTL + 2) * 1000);
  const codes = await burst(page, [
    "btn-whoami",
    "btn-list",
    "btn-whoami",
    "btn-list",
    "btn-whoami",
    "btn-list",
  ]);
  expect(codes).toEqual(["OK", "OK", "OK", "OK", "OK", "OK"]);
  expect(stack.idp.stats.refreshGrants).toBeGreaterThan(refreshBefore);
  expect(stack.idp.stats.refreshReuse).toBe(0);
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await countLog(page, '[data-event="session-ended"]')).toBe(0);
});

test("4. two tabs share the gateway session; signing out in one ends it in both, and at the IdP", async ({
  signIn,
  context,
  appUrl,
  stack,
}) => {
  const one = await signIn("reader");
  const two = await context.newPage();
  await openApp(two, appUrl);
  await byId(two, "session-subject").filter({ hasText: "reader" }).waitFor();
  expect(await callAndWait(two, "btn-list")).toBe("OK");

  // Sign out: the gateway clears every cookie, then the IdP asks to confirm and returns to the app.
  await byId(one, "btn-signout").click();
  const app = new URL(appUrl).origin;
  await one.waitForURL((u) => u.origin === stack.idp.issuer || u.origin === app, {
    timeout: 20_000,
  });
  // oidc-provider asks to confirm when it holds a session for the browser.
  if (new URL(one.url()).origin === stack.idp.issuer) {
    await one.click("button[name=logout]");
    await one.waitForURL((u) => u.origin === app, { timeout: 20_000 });
  }
  expect(
    (await context.cookies(stack.apiUrl)).filter((c) => c.name.startsWith("__Host-gwo-")),
  ).toEqual([]);

  // The other tab learns on its next call: UNAUTHENTICATED, the sign-in prompt once.
  expect(await callAndWait(two, "btn-list")).toBe("UNAUTHENTICATED");
  await expect(byId(two, "signin-prompt")).toBeVisible();
  await screenshot(two, "session-4-other-tab-signed-out");

  // The IdP session ended too: signing in again shows the login form.
  await byId(two, "btn-prompt-signin").click();
  await two.waitForSelector("input[name=login]");
});
