/**
 * The cross-tab refresh stress run, independent of the test runner and of the identity
 * provider: N tabs of one browser context (so they share storage, Web Locks and
 * BroadcastChannel) open the SDK test page, one signs in through the IdP's own login page,
 * then every round
 *
 *   1. forced: every tab calls `getToken({ forceRefresh: true })` twice and `getToken()` once,
 *      all tabs at the same moment (what several tabs do after an UNAUTHENTICATED);
 *   2. expiry: every tab's clock jumps past the access token's expiry, then every tab calls
 *      `getToken()` three times at the same moment (an expiry-driven refresh in every tab).
 *
 * The IdP counts refresh-token reuse; the run reports it with every failed call. A round whose
 * calls failed (a reuse ends the session everywhere) is followed by a new sign-in, so one run
 * can count more than one reuse.
 */
import { performance } from "node:perf_hooks";
import type { BrowserContext, Page } from "@playwright/test";
import type { Idp } from "../../../demo/idp/server.js";
import type { BurstResult } from "./page.js";

/** What the stress run needs from an identity provider. */
export interface StressIdp {
  /**
   * Complete the IdP's sign-in on `page`, which is on the IdP's login page (cookies of the
   * context are cleared before each sign-in, so there is no IdP session to skip it).
   */
  login(page: Page): Promise<void>;
  /** Refresh tokens presented again, counted at the IdP (cumulative). */
  refreshReuse(): Promise<number>;
  /** Successful refresh-token grants at the IdP (cumulative), when the IdP can tell. */
  refreshGrants?(): Promise<number>;
}

/** The demo IdP as the stress run sees it: its login form, its reuse and grant counters. */
export function demoStressIdp(idp: Idp): StressIdp {
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

export interface StressOptions {
  context: BrowserContext;
  /** The test page's URL (`startTestPage().url`), configured for this IdP. */
  appUrl: string;
  idp: StressIdp;
  tabs: number;
  rounds: number;
  /** How far an expiry round moves each tab's clock: more than an access token's lifetime. */
  expirySkipMs: number;
}

/** A phase of a round in which some call failed. */
export interface FailedPhase {
  round: number;
  phase: "forced" | "expiry";
  /** `<error name>:<reason>` of each failed call, over all tabs. */
  failures: string[];
}

export interface StressReport {
  tabs: number;
  rounds: number;
  /** `getToken` calls made and how many resolved. */
  calls: number;
  succeeded: number;
  failedPhases: FailedPhase[];
  /** Refresh-token reuses the IdP counted during the run. */
  reuses: number;
  /** Refresh-token grants per expiry phase (undefined when the IdP cannot count them). */
  grantsPerExpiry: number[] | undefined;
  /** Expiry phases after which the tabs did not all hold one new token. */
  expiryPhasesNotRefreshedTogether: number;
  /** Sign-ins needed (1, plus one after each failed round). */
  signIns: number;
  /** Tabs that did not see a sign-in made in another tab within 5 s and were reloaded. */
  tabsReloaded: number;
  durationMs: number;
}

const FORCED = { forced: 2, plain: 1 } as const;
const EXPIRY = { forced: 0, plain: 3 } as const;

/** Open the test page in a new tab and wait for its token source. */
export async function openTab(context: BrowserContext, appUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(appUrl);
  await page.waitForFunction(() => window.gwoTest !== undefined);
  await page.evaluate(() => window.gwoTest.ready);
  return page;
}

/** Sign in on `page` (an open test page) through the IdP's login page. */
export async function signIn(
  page: Page,
  o: Pick<StressOptions, "context" | "appUrl" | "idp">,
): Promise<void> {
  const appOrigin = new URL(o.appUrl).origin;
  await o.context.clearCookies();
  await page.evaluate(() => {
    void window.gwoTest.signIn();
  });
  await page.waitForURL((u) => u.origin !== appOrigin, { timeout: 30_000 });
  await o.idp.login(page);
  await page.waitForURL((u) => u.origin === appOrigin, { timeout: 30_000 });
  await page.waitForFunction(() => window.gwoTest !== undefined);
  await page.evaluate(() => window.gwoTest.ready);
}

/**
 * Wait until every tab sees the session (the signed-in tab tells the others); reload a tab
 * that has not seen it within 5 s. Returns how many tabs had to be reloaded.
 */
async function allSignedIn(pages: Page[]): Promise<number> {
  let reloaded = 0;
  for (const page of pages) {
    for (let i = 0; !(await page.evaluate(() => window.gwoTest.signedIn())); i++) {
      if (i === 100) {
        reloaded++;
        await page.reload();
        await page.waitForFunction(() => window.gwoTest !== undefined);
        await page.evaluate(() => window.gwoTest.ready);
      }
      if (i === 200) throw new Error("a tab did not see the session, even after a reload");
      await page.waitForTimeout(50);
    }
  }
  return reloaded;
}

function burstAll(pages: Page[], spec: { forced: number; plain: number }): Promise<BurstResult[]> {
  return Promise.all(pages.map((p) => p.evaluate((s) => window.gwoTest.burst(s), spec)));
}

export async function runRefreshStress(o: StressOptions): Promise<StressReport> {
  const started = performance.now();
  const pages = [await openTab(o.context, o.appUrl)];
  for (let i = 1; i < o.tabs; i++) pages.push(await openTab(o.context, o.appUrl));
  await signIn(pages[0]!, o);
  const reloaded = await allSignedIn(pages);

  const reuse0 = await o.idp.refreshReuse();
  const report: StressReport = {
    tabs: o.tabs,
    rounds: o.rounds,
    calls: 0,
    succeeded: 0,
    failedPhases: [],
    reuses: 0,
    grantsPerExpiry: o.idp.refreshGrants ? [] : undefined,
    expiryPhasesNotRefreshedTogether: 0,
    signIns: 1,
    tabsReloaded: reloaded,
    durationMs: 0,
  };
  const tally = (round: number, phase: FailedPhase["phase"], results: BurstResult[]) => {
    const failures = results.flatMap((r) => r.failures);
    report.calls += results.reduce((n, r) => n + r.ok + r.failures.length, 0);
    report.succeeded += results.reduce((n, r) => n + r.ok, 0);
    if (failures.length > 0) report.failedPhases.push({ round, phase, failures });
    return failures.length === 0;
  };

  for (let round = 0; round < o.rounds; round++) {
    let ok = tally(round, "forced", await burstAll(pages, FORCED));
    if (ok) {
      const held = await burstAll(pages, { forced: 0, plain: 1 });
      const before = new Set(held.flatMap((r) => r.tokens));
      const grants0 = await o.idp.refreshGrants?.();
      for (const p of pages) await p.evaluate((ms) => window.gwoTest.skipClock(ms), o.expirySkipMs);
      const results = await burstAll(pages, EXPIRY);
      ok = tally(round, "expiry", results);
      if (grants0 !== undefined) {
        report.grantsPerExpiry?.push((await o.idp.refreshGrants!()) - grants0);
      }
      const after = new Set(results.flatMap((r) => r.tokens));
      if (ok && (after.size !== 1 || [...after].some((t) => before.has(t)))) {
        report.expiryPhasesNotRefreshedTogether++;
      }
    }
    if (!ok) {
      await signIn(pages[0]!, o);
      report.tabsReloaded += await allSignedIn(pages);
      report.signIns++;
    }
  }
  report.reuses = (await o.idp.refreshReuse()) - reuse0;
  report.durationMs = Math.round(performance.now() - started);
  await Promise.all(pages.map((p) => p.close()));
  return report;
}
