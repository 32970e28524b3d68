/**
 * The demo app as a person meets it: a denial says what the method needs (from the proto's
 * access options), the result of Create note stays in view, sign-out goes back to the app
 * without a confirmation page, and the app opened on https://127.0.0.1 still signs in.
 */
import { byId, callAndWait, signInAs } from "./app.js";
import { expect, test } from "./fixtures.js";

test("a denial names what the method needs and what the caller lacks", async ({ signIn }) => {
  const page = await signIn("reader");
  expect(await callAndWait(page, "btn-purge")).toBe("PERMISSION_DENIED");
  await expect(byId(page, "call-result")).toContainText(
    "PurgeNotes → Permission denied: needs role admin (your roles: none)",
  );
  await byId(page, "note-text").fill("from the reader");
  expect(await callAndWait(page, "btn-create")).toBe("PERMISSION_DENIED");
  await expect(byId(page, "call-result")).toContainText(
    "CreateNote → Permission denied: needs scope notes.write (your scopes: notes.read)",
  );
  // The buttons say it before anyone clicks.
  await expect(byId(page, "btn-purge")).toHaveAttribute("title", "Needs role admin");
  await expect(byId(page, "btn-whoami")).toHaveAttribute("title", "Needs any signed-in user");
});

test("Create note: its result stays in view after the list that follows it", async ({ signIn }) => {
  const page = await signIn("writer");
  const text = `kept in view ${Date.now()}`;
  await byId(page, "note-text").fill(text);
  expect(await callAndWait(page, "btn-create")).toBe("OK");
  // The app lists the notes by itself afterwards (logged as its own call) ...
  const autoList = page.locator(
    '[data-testid="log-entry"][data-kind="rpc"][data-trigger="auto"][data-event="ListNotes"]',
  );
  await expect(autoList).toHaveCount(1);
  await expect(byId(page, "note").filter({ hasText: text })).toHaveCount(1);
  // ... and the result line still shows what the person did.
  await expect(byId(page, "call-result")).toContainText(`CreateNote → OK · created “${text}”`);
  await expect(byId(page, "call-result")).toHaveAttribute("data-code", "OK");
});

test("sign-out returns to the app without stopping on the IdP's confirmation page", async ({
  appUrl,
  signIn,
  stack,
}) => {
  const page = await signIn("reader");
  const appOrigin = new URL(appUrl).origin;
  const idpPages: Promise<string>[] = [];
  page.on("response", (res) => {
    if (res.url().startsWith(stack.idp.issuer) && res.request().resourceType() === "document")
      idpPages.push(res.text().catch(() => ""));
  });
  // Listen before the click: the round trip (app → IdP → app) can take a few milliseconds, and
  // the IdP's page leaves before its own "load" (so no waitForURL on it).
  const toIdp = page.waitForRequest(
    (r) => r.isNavigationRequest() && r.url().startsWith(`${stack.idp.issuer}/session/end`),
  );
  // The app's only navigation after the click is the post-logout redirect back to it.
  const backToApp = page.waitForRequest(
    (r) => r.isNavigationRequest() && r.url().startsWith(appOrigin),
  );
  await byId(page, "btn-signout").click();
  await toIdp;
  // No click at the IdP: the next stop is the app, signed out.
  await backToApp;
  await page.waitForSelector("body[data-ready]");
  await byId(page, "signed-out").waitFor();
  expect(idpPages.length).toBeGreaterThan(0);
  for (const html of await Promise.all(idpPages)) expect(html).not.toContain("Stay signed in");
  // Signed out at the IdP too: signing in again asks for the password.
  await byId(page, "btn-hero-signin").click();
  await page.waitForSelector("input[name=password]");
});

test("the app opened on https://127.0.0.1:<port> moves to its own origin and signs in", async ({
  appUrl,
  page,
}) => {
  const app = new URL(appUrl);
  await page.goto(`https://127.0.0.1:${app.port}/`);
  expect(new URL(page.url()).origin).toBe(app.origin);
  await signInAs(page, page.url(), "writer");
  await expect(byId(page, "app-error")).toBeHidden();
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
});
