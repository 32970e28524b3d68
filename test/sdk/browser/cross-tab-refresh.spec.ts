/**
 * Cross-tab refresh under stress, in real Chromium against a real IdP: tabs of one browser
 * profile (separate renderer processes sharing the origin's storage) refresh concurrently,
 * forced and on expiry, and the IdP must never see a refresh token twice. The run itself is
 * IdP-agnostic (`refresh-stress.ts`); this file gives it the demo IdP (node-oidc-provider,
 * rotation on every use, a reused refresh token revokes the grant).
 *
 * `npx playwright test --project sdk-browser`
 */
import { test as base, expect } from "@playwright/test";
import { CLIENT_ID, type Idp, startIdp } from "../../../demo/idp/server.js";
import { ensureDevPki } from "../../../demo/pki.js";
import { hasChromium, trustSpkiArg } from "../../e2e/chromium.js";
import { startTestPage, type TestPageServer } from "./app-server.js";
import { runRefreshStress, type StressIdp } from "./refresh-stress.js";

const ROUNDS = 100;
/** Calls per tab per round: 2 forced + 1 plain, then 3 after the expiry. */
const CALLS_PER_TAB_ROUND = 6;
/** The demo IdP's access-token lifetime; each expiry round moves the tabs' clocks past it. */
const TOKEN_TTL_S = 20;

const pki = ensureDevPki();

const test = base.extend({
  // The project's launch options plus trust for the development leaf certificate.
  launchOptions: async ({ launchOptions }, use) => {
    await use({
      ...launchOptions,
      args: [...(launchOptions.args ?? []), trustSpkiArg(pki.localhostSpki)],
    });
  },
});

/** The demo IdP as the stress run sees it: its login form, its reuse and grant counters. */
function demoIdp(idp: Idp): StressIdp {
  return {
    async login(page) {
      await page.fill("input[name=login]", "reader");
      await page.fill("input[name=password]", "reader");
      await page.click("button[type=submit]");
    },
    refreshReuse: async () => idp.stats.refreshReuse,
    refreshGrants: async () => idp.stats.refreshGrants,
  };
}

test.describe("cross-tab refresh, demo IdP (rotation, reuse revokes the grant)", () => {
  test.skip(!hasChromium(), "no Chromium (set CHROMIUM_BIN)");
  let app: TestPageServer;
  let idp: Idp;

  test.beforeAll(async () => {
    app = await startTestPage(pki.localhost);
    idp = await startIdp({
      pki,
      redirectUris: [app.redirectUri],
      accessTokenTtl: TOKEN_TTL_S,
      renewWindow: 10,
      log: () => {},
    });
    app.setConfig({
      authority: idp.issuer,
      clientId: CLIENT_ID,
      scope: "openid offline_access notes.read",
      storage: "local",
    });
  });

  test.afterAll(async () => {
    await idp?.close();
    await app?.close();
  });

  for (const tabs of [2, 4]) {
    test(`${tabs} tabs x ${ROUNDS} rounds of concurrent forced and expiry-driven refreshes: no refresh token presented twice, every call succeeds`, async ({
      context,
    }, testInfo) => {
      const report = await runRefreshStress({
        context,
        appUrl: app.url,
        idp: demoIdp(idp),
        tabs,
        rounds: ROUNDS,
        expirySkipMs: (TOKEN_TTL_S + 1) * 1000,
      });
      await testInfo.attach("stress-report.json", {
        body: JSON.stringify(report, null, 2),
        contentType: "application/json",
      });
      expect(report.reuses).toBe(0);
      expect(report.failedPhases).toEqual([]);
      expect(report.calls).toBe(tabs * ROUNDS * CALLS_PER_TAB_ROUND);
      expect(report.succeeded).toBe(report.calls);
      // One refresh-token grant per expiry, for all tabs together, and all tabs got its token.
      expect(report.grantsPerExpiry).toEqual(Array(ROUNDS).fill(1));
      expect(report.expiryPhasesNotRefreshedTogether).toBe(0);
      expect(report.signIns).toBe(1);
      expect(report.tabsReloaded).toBe(0);
    });
  }
});
