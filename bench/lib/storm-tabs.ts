/**
 * The refresh storm across tabs in Chromium: the SDK's browser harness
 * (test/sdk/browser/refresh-stress.ts, its test page and the demo IdP, which rotates refresh
 * tokens and revokes the grant on reuse), four tabs of one profile. Ours: the harness's
 * rounds (forced refreshes, then every tab's clock past expiry and three calls per tab).
 * Theirs: oidc-client-ts alone in the same four tabs, each tab renewing on expiry with
 * `UserManager.signinSilent()` (no single-flight, no lock). Counted at the IdP.
 */
import { chromium, type Page } from "@playwright/test";
import { CLIENT_ID, startIdp } from "../../demo/idp/server.js";
import { ensureDevPki } from "../../demo/pki.js";
import { CHROMIUM, CHROMIUM_ARGS, hasChromium, trustSpkiArg } from "../../test/e2e/chromium.js";
import { startTestPage } from "../../test/sdk/browser/app-server.js";
import {
  demoStressIdp,
  openTab,
  runRefreshStress,
  signIn,
} from "../../test/sdk/browser/refresh-stress.js";

const TOKEN_TTL_S = 20;

export interface TabStorm {
  tabs: number;
  rounds: number;
  /** Ours: refresh-token requests (grants + reuses) per expiry, and reuses over the run. */
  ours: { requestsPerExpiry: number[]; reuses: number; failedPhases: number };
  /** oidc-client-ts alone: refresh-token requests per expiry, reuses, failed renewals. */
  theirs: { requestsPerExpiry: number[]; reuses: number; failed: number };
}

export async function tabStorm(o: { tabs: number; rounds: number }): Promise<TabStorm | undefined> {
  if (!hasChromium()) return undefined;
  const pki = ensureDevPki();
  // Everything opened below, closed in reverse order whatever fails: one server, browser or
  // IdP left open keeps the bench process (and `npm run bench`) from ever exiting.
  const opened: (() => Promise<void>)[] = [];
  try {
    const app = await startTestPage(pki.localhost);
    opened.push(() => app.close());
    const idp = await startIdp({
      pki,
      redirectUris: [app.redirectUri],
      accessTokenTtl: TOKEN_TTL_S,
      renewWindow: 10,
      log: () => {},
    });
    opened.push(() => idp.close());
    app.setConfig({
      authority: idp.issuer,
      clientId: CLIENT_ID,
      scope: "openid offline_access notes.read",
      storage: "local",
    });
    const stressIdp = demoStressIdp(idp);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, trustSpkiArg(pki.localhostSpki)],
    });
    opened.push(() => browser.close());
    // Ours: the harness counts grants per expiry; reuses are requests too.
    const ctx = await browser.newContext();
    const report = await runRefreshStress({
      context: ctx,
      appUrl: app.url,
      idp: stressIdp,
      tabs: o.tabs,
      rounds: o.rounds,
      expirySkipMs: (TOKEN_TTL_S + 1) * 1000,
    });
    await ctx.close();

    // Theirs: fresh tabs and session; every round all tabs' clocks pass expiry, then each
    // tab renews as oidc-client-ts alone would. A revoked grant needs a new sign-in.
    const raw = await browser.newContext();
    // Every POST to the token endpoint, counted in the browser (each renewal makes one).
    let tokenPosts = 0;
    raw.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/token")) tokenPosts++;
    });
    const pages: Page[] = [];
    for (let i = 0; i < o.tabs; i++) pages.push(await openTab(raw, app.url));
    const theirs = { requestsPerExpiry: [] as number[], reuses: 0, failed: 0 };
    const reuse0 = idp.stats.refreshReuse;
    for (let round = 0; round < o.rounds; round++) {
      await signIn(pages[0]!, { context: raw, appUrl: app.url, idp: stressIdp });
      for (const p of pages) {
        await p.reload();
        await p.evaluate(() => window.gwoTest.ready);
      }
      for (const p of pages) {
        await p.evaluate((ms) => window.gwoTest.skipClock(ms), (TOKEN_TTL_S + 1) * 1000);
      }
      const before = tokenPosts;
      const results = await Promise.all(
        pages.map((p) => p.evaluate(() => window.gwoTest.rawRenew())),
      );
      theirs.requestsPerExpiry.push(tokenPosts - before);
      theirs.failed += results.filter((r) => r !== "ok").length;
    }
    theirs.reuses = idp.stats.refreshReuse - reuse0;
    await raw.close();
    return {
      tabs: o.tabs,
      rounds: o.rounds,
      ours: {
        requestsPerExpiry: (report.grantsPerExpiry ?? []).map((g) => g),
        reuses: report.reuses,
        failedPhases: report.failedPhases.length,
      },
      theirs,
    };
  } finally {
    for (const close of opened.reverse()) await close();
  }
}
