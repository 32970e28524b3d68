/**
 * Where `storage: "local"` keeps tokens, in real Chromium: IndexedDB, a session of an earlier
 * version (kept in localStorage) moved there on first use, and localStorage when IndexedDB
 * cannot be opened.
 */
import { oidcUserEntries } from "../../e2e/app.js";
import { expect, test } from "./fixtures.js";
import { openTab, signIn } from "./refresh-stress.js";

test("a session an earlier version kept in localStorage moves to IndexedDB on first use", async ({
  context,
  demo,
}) => {
  const page = await openTab(context, demo.app.url);
  await signIn(page, { context, appUrl: demo.app.url, idp: demo.stressIdp });
  const [entry, ...more] = await oidcUserEntries(page);
  expect(more).toEqual([]);
  expect(entry?.area).toBe("indexeddb");
  // Put the session where the previous version kept it, and nowhere else.
  await page.evaluate(async ({ key, value }) => {
    localStorage.setItem(`oidc.${key}`, value);
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open("grpc-web-oidc");
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const tx = db.transaction("entries", "readwrite");
    tx.objectStore("entries").delete(key);
    await new Promise((ok) => {
      tx.oncomplete = ok;
    });
    db.close();
  }, entry!);
  expect((await oidcUserEntries(page)).map((e) => e.area)).toEqual(["local"]);

  await page.reload();
  await page.evaluate(() => window.gwoTest.ready);
  expect(await page.evaluate(() => window.gwoTest.signedIn())).toBe(true);
  expect(await oidcUserEntries(page)).toEqual([{ ...entry, area: "indexeddb" }]);
  const refreshed = await page.evaluate(() => window.gwoTest.burst({ forced: 1, plain: 0 }));
  expect(refreshed).toMatchObject({ ok: 1, failures: [] });
});

test("where IndexedDB cannot be opened, tokens are kept in localStorage and refresh still works", async ({
  context,
  demo,
}) => {
  await context.addInitScript(() => {
    indexedDB.open = () => {
      throw new DOMException("IndexedDB is disabled", "SecurityError");
    };
  });
  const page = await openTab(context, demo.app.url);
  await signIn(page, { context, appUrl: demo.app.url, idp: demo.stressIdp });
  expect((await oidcUserEntries(page)).map((e) => e.area)).toEqual(["local"]);
  const refreshed = await page.evaluate(() => window.gwoTest.burst({ forced: 1, plain: 0 }));
  expect(refreshed).toMatchObject({ ok: 1, failures: [] });
  // The refreshed token was stored: the next call gets it without another grant.
  const grants = demo.idp.stats.refreshGrants;
  const next = await page.evaluate(() => window.gwoTest.burst({ forced: 0, plain: 1 }));
  expect(next.tokens).toEqual(refreshed.tokens);
  expect(demo.idp.stats.refreshGrants).toBe(grants);
  expect(demo.idp.stats.refreshReuse).toBe(0);
});
