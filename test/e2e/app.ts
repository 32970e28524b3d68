/**
 * Page helpers for the demo app and the local IdP's login form, shared by every spec. They
 * read the app through its `data-testid` attributes and its event log, never its layout.
 */
import { type Page, type Request, test } from "@playwright/test";

/**
 * Attaches a full-page screenshot to the test's report (the HTML report shows it), named for
 * the scenario. Failures get one automatically; this is for the states worth seeing on success.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  await test.info().attach(name, {
    body: await page.screenshot({ fullPage: true }),
    contentType: "image/png",
  });
}

export const byId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** Opens the app and waits until it has loaded its configuration and session. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector("body[data-ready]");
  const ready = await page.getAttribute("body", "data-ready");
  if (ready !== "true") {
    throw new Error(`app failed to start: ${await byId(page, "app-error").textContent()}`);
  }
}

/** Signs in through the IdP's login form; resolves when the app shows the user. */
export async function signInAs(page: Page, appUrl: string, user: string): Promise<void> {
  await openApp(page, appUrl);
  await byId(page, "btn-hero-signin").click();
  await page.waitForSelector("input[name=login]");
  await page.fill("input[name=login]", user);
  await page.fill("input[name=password]", user);
  await page.click("button[type=submit]");
  // The IdP grants the demo client's consent itself, so the next stop is the app.
  const appOrigin = new URL(appUrl).origin;
  await page.waitForURL((u) => u.origin === appOrigin, { timeout: 60_000 });
  await page.waitForSelector("body[data-ready]");
  await byId(page, "session-subject").filter({ hasText: user }).waitFor();
}

/** RPC log entries of calls a person started (not the app's own, e.g. the list after Create). */
export const CLICKED_RPC = '[data-kind="rpc"]:not([data-trigger="auto"])';

/** Number of event-log entries matching a CSS attribute filter, e.g. `[data-kind=rpc]`. */
export function countLog(page: Page, filter = ""): Promise<number> {
  return page.locator(`[data-testid="log-entry"]${filter}`).count();
}

/**
 * Clicks a call button and waits for its RPC log line; returns the Connect code name
 * (`OK`, `PERMISSION_DENIED`, …).
 */
export async function callAndWait(page: Page, button: string): Promise<string> {
  const before = await countLog(page, CLICKED_RPC);
  await byId(page, button).click();
  await page.waitForFunction(({ sel, n }) => document.querySelectorAll(sel).length > n, {
    sel: `[data-testid="log-entry"]${CLICKED_RPC}`,
    n: before,
  });
  return (await byId(page, "call-result").getAttribute("data-code")) ?? "";
}

/**
 * Clicks several call buttons in the same task, so their RPCs run concurrently (and find an
 * expiring token together); waits for all of them and returns their status code names.
 */
export async function burst(page: Page, buttons: readonly string[]): Promise<string[]> {
  const before = await countLog(page, CLICKED_RPC);
  await page.evaluate((ids) => {
    for (const id of ids) document.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.click();
  }, buttons);
  await page.waitForFunction(({ sel, n }) => document.querySelectorAll(sel).length >= n, {
    sel: `[data-testid="log-entry"]${CLICKED_RPC}`,
    n: before + buttons.length,
  });
  // The log is newest first.
  return page
    .locator(`[data-testid="log-entry"]${CLICKED_RPC}`)
    .evaluateAll(
      (els, n) => els.slice(0, n).map((e) => (e as HTMLElement).dataset.code ?? ""),
      buttons.length,
    );
}

/** Runs the stream to completion and returns the number of messages shown. */
export async function watchStream(page: Page, count: number, intervalMs: number): Promise<string> {
  await byId(page, "watch-count").fill(String(count));
  await byId(page, "watch-interval").fill(String(intervalMs));
  await byId(page, "btn-watch").click();
  await page.waitForSelector(
    '[data-testid="watch-status"]:is([data-state="done"],[data-state="error"],[data-state="stopped"])',
  );
  return (await byId(page, "watch-status").getAttribute("data-code")) ?? "";
}

/** Where a page can keep the signed-in user: the SDK's IndexedDB (`storage: "local"`) or Web Storage. */
export type TokenArea = "indexeddb" | "local" | "session";

/**
 * The entries holding an oidc-client-ts user: in the SDK's IndexedDB database
 * (`grpc-web-oidc`, where `storage: "local"` keeps tokens) and in local and session storage.
 */
export function oidcUserEntries(
  page: Page,
): Promise<{ area: TokenArea; key: string; value: string }[]> {
  return page.evaluate(async () => {
    const out: { area: TokenArea; key: string; value: string }[] = [];
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (names.includes("grpc-web-oidc")) {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open("grpc-web-oidc");
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const entries = await new Promise<[IDBValidKey[], unknown[]]>((ok, fail) => {
        const store = db.transaction("entries", "readonly").objectStore("entries");
        const keys = store.getAllKeys();
        const values = store.getAll();
        values.onsuccess = () => ok([keys.result, values.result]);
        values.onerror = () => fail(values.error);
      });
      db.close();
      entries[0].forEach((key, i) => {
        if (String(key).startsWith("user:")) {
          out.push({ area: "indexeddb", key: String(key), value: String(entries[1][i]) });
        }
      });
    }
    for (const [area, s] of [
      ["local", localStorage],
      ["session", sessionStorage],
    ] as const) {
      for (let i = 0; i < s.length; i++) {
        const key = s.key(i) ?? "";
        if (key.startsWith("oidc.user")) out.push({ area, key, value: s.getItem(key) ?? "" });
      }
    }
    return out;
  });
}

/** An API request the page sent: its URL and credentials (`dpop`: "" when it had no proof). */
export interface RecordedCall {
  url: string;
  authorization: string;
  dpop: string;
}

/** Records every POST the page sends to `apiUrl` (RPCs), with its credentials, from now on. */
export function recordApiCalls(page: Page, apiUrl: string): RecordedCall[] {
  const seen: RecordedCall[] = [];
  page.on("request", (r: Request) => {
    if (!r.url().startsWith(apiUrl) || r.method() !== "POST") return;
    const h = r.headers();
    seen.push({ url: r.url(), authorization: h.authorization ?? "", dpop: h.dpop ?? "" });
  });
  return seen;
}

/** The payload of a JWT (a token or a DPoP proof), unverified: for assertions only. */
export function jwtClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<
    string,
    unknown
  >;
}
