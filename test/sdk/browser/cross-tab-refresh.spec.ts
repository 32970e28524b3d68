/**
 * Cross-tab refresh under stress, in real Chromium against a real IdP: tabs of one browser
 * profile (separate renderer processes sharing the origin's storage) refresh concurrently,
 * forced and on expiry, and the IdP must never see a refresh token twice. The run itself is
 * IdP-agnostic (`refresh-stress.ts`); the `demo` fixture gives it the demo IdP
 * (node-oidc-provider, rotation on every use, a reused refresh token revokes the grant).
 *
 * `npx playwright test --project sdk-browser`
 */
import { expect, TOKEN_TTL_S, test } from "./fixtures.js";
import { runRefreshStress } from "./refresh-stress.js";

const ROUNDS = 100;
/** Calls per tab per round: 2 forced + 1 plain, then 3 after the expiry. */
const CALLS_PER_TAB_ROUND = 6;

test.describe("cross-tab refresh, demo IdP (rotation, reuse revokes the grant)", () => {
  for (const tabs of [2, 4]) {
    test(`${tabs} tabs x ${ROUNDS} rounds of concurrent forced and expiry-driven refreshes: no refresh token presented twice, every call succeeds`, async ({
      context,
      demo,
    }, testInfo) => {
      const report = await runRefreshStress({
        context,
        appUrl: demo.app.url,
        idp: demo.stressIdp,
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
