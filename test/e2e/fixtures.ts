/**
 * The browser suite's fixtures. Import `test` and `expect` from here, not from
 * `@playwright/test`:
 *
 * - `stack` (worker): the whole demo stack (PKI, IdP, backend, web app, and Envoy on the
 *   `envoy` project) on ephemeral ports, started once per worker and closed when it ends. It runs
 *   the demo's modes (demo/modes.ts): token mode with DPoP unless a file sets `dpop: false`.
 *   Shape it per file with `test.use({ stackOptions: { tokenTtl: 60 } })` (a new worker then
 *   starts a stack for that file).
 * - `appUrl` (worker): the web app's URL on that stack.
 * - `browser` (worker): Debian's Chromium with the suite's flags, trusting the stack's
 *   development certificate by its SPKI.
 * - `signIn` (test): signs a dev user in through the IdP's login form in a new tab of the test's
 *   `context` (or in the page given) and resolves with the page showing the app.
 *
 * On the `envoy` project every test is skipped, with the reason, when no Envoy binary is found.
 */
import { test as base, type Page } from "@playwright/test";
import { resolveModes } from "../../demo/modes.js";
import { type Stack, type StackOptions, startStack } from "../../demo/stack.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { signInAs } from "./app.js";
import { CHROMIUM, hasChromium, trustSpkiArg } from "./chromium.js";

export { expect } from "@playwright/test";

/** The two ways the browser reaches the backend: its own gRPC-Web listener, or Envoy. */
export type StackPath = "direct" | "envoy";

/** Access-token lifetime and refresh window the suite runs with unless a file says otherwise. */
export const DEFAULT_TTL = 20;
export const DEFAULT_RENEW_WINDOW = 10;

/** The worker options a project or a file (`test.use`) can set. */
export interface SuiteOptions {
  /** Which path the project takes; set by each project in playwright.config.ts. */
  stackPath: StackPath;
  /** Options for `startStack`, on top of `web: true`, the path and the suite's TTL. */
  stackOptions: Omit<StackOptions, "web" | "envoy">;
}

interface WorkerFixtures extends SuiteOptions {
  stack: Stack;
  appUrl: string;
}

interface TestFixtures {
  /** Skips the test, saying why, when its project cannot run here (no Chromium, no Envoy). */
  runnable: undefined;
  /**
   * Signs `user` in (password = login) and resolves with the page on the app. `path` is
   * appended to the app's URL (e.g. `/?storage=session`); `page` defaults to a new tab of
   * the test's `context`.
   */
  signIn: (user: string, o?: { path?: string; page?: Page }) => Promise<Page>;
}

/** Why a project cannot run on this machine, or "" when it can. */
export function unrunnableReason(path: StackPath): string {
  if (!hasChromium()) return `no Chromium at ${CHROMIUM} (set CHROMIUM_BIN)`;
  if (path === "envoy" && !findEnvoy(root))
    return "no Envoy binary (ENVOY_BIN, PATH, or `npm run setup:envoy`)";
  return "";
}

const root = new URL("../..", import.meta.url).pathname;

export const test = base.extend<TestFixtures, WorkerFixtures>({
  stackPath: ["direct", { scope: "worker", option: true }],
  stackOptions: [{}, { scope: "worker", option: true }],

  stack: [
    async ({ stackPath, stackOptions }, use) => {
      const stack = await startStack({
        tokenTtl: DEFAULT_TTL,
        renewWindow: DEFAULT_RENEW_WINDOW,
        ...stackOptions,
        // `npm run demo`'s defaults: DPoP on in token mode, none in session mode.
        ...resolveModes(stackOptions),
        web: true,
        envoy: stackPath === "envoy",
      });
      try {
        if (stack.path !== stackPath) throw new Error(`stack took the ${stack.path} path`);
        await use(stack);
      } finally {
        await stack.close();
      }
    },
    // A cold start builds the web app with Vite and may start Envoy: minutes on a busy machine.
    { scope: "worker", timeout: 240_000 },
  ],

  appUrl: [
    async ({ stack }, use) => {
      if (!stack.web) throw new Error("startStack({ web: true }) returned no web app");
      await use(stack.web.url);
    },
    { scope: "worker" },
  ],

  // The project's launch options (playwright.config.ts) plus trust for this stack's leaf
  // certificate; Playwright's own `browser` fixture launches with them.
  launchOptions: [
    async ({ launchOptions, stack }, use) => {
      await use({
        ...launchOptions,
        args: [...(launchOptions.args ?? []), trustSpkiArg(stack.pki.localhostSpki)],
      });
    },
    { scope: "worker" },
  ],

  // Auto, so it runs before any worker fixture a test asks for: a project that cannot run
  // here is skipped with its reason instead of failing to start a stack.
  runnable: [
    async ({ stackPath }, use, testInfo) => {
      const reason = unrunnableReason(stackPath);
      testInfo.skip(reason !== "", reason);
      await use(undefined);
    },
    { auto: true },
  ],

  signIn: async ({ context, appUrl }, use) => {
    await use(async (user, o = {}) => {
      const page = o.page ?? (await context.newPage());
      await signInAs(page, `${appUrl}${o.path ?? ""}`, user);
      return page;
    });
  },
});
