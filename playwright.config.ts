/**
 * The browser suite (`test/e2e/*.spec.ts`): `npx playwright test`, or `npm test`, which runs it
 * after vitest. One project per path the browser's API calls can take: `direct` (the backend's
 * own gRPC-Web listener) and `envoy` (browser → Envoy → mTLS → backend; skipped with the reason
 * when no Envoy binary is found). Debian's Chromium, never a downloaded browser. A third project,
 * `sdk-browser`, runs the SDK's own browser specs (test/sdk/browser) against an IdP only.
 * Fixtures and how to add a spec: test/e2e/README.md.
 */
import { defineConfig } from "@playwright/test";
import { CHROMIUM, CHROMIUM_ARGS } from "./test/e2e/chromium.js";
import type { SuiteOptions } from "./test/e2e/fixtures.js";

const out = "test-results/playwright";

export default defineConfig<object, SuiteOptions>({
  testDir: "test/e2e",
  testMatch: "**/*.spec.ts",
  globalSetup: "./test/e2e/global-setup.ts",
  outputDir: `${out}/artifacts`,
  // Each worker starts a whole stack; on a shared 2-core machine one at a time is fastest.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  // Bounded by count, not wall time: generous limits for a busy machine.
  timeout: 240_000,
  expect: { timeout: 20_000 },
  reporter: [
    ["list"],
    ["html", { outputFolder: `${out}/report`, open: "never" }],
    ["json", { outputFile: `${out}/results.json` }],
  ],
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] },
    headless: true,
    viewport: { width: 1280, height: 900 },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "direct", use: { stackPath: "direct" }, testIgnore: "**/session*.spec.ts" },
    { name: "envoy", use: { stackPath: "envoy" }, testIgnore: "**/session*.spec.ts" },
    // Session mode (GWO_SESSION=bff): the gateway holds the tokens; it needs Envoy. Cross-origin
    // (session.spec.ts) and same-origin, the app served by the gateway (session-same-origin.spec.ts).
    { name: "session", use: { stackPath: "envoy" }, testMatch: "**/session*.spec.ts" },
    // The browser SDK under cross-tab stress against an IdP (test/sdk/browser): no API stack.
    { name: "sdk-browser", testDir: "test/sdk/browser", testMatch: "**/*.spec.ts" },
    // Foreign gRPC-Web clients (Google's grpc-web) against its own gateway and dev listener.
    { name: "grpc-web", testDir: "test/foreign", testMatch: "**/*.spec.ts" },
    // Keycloak 26 (scripts/setup-keycloak.sh) as the IdP: its login page, Envoy and the backend
    // configured from its claim settings, cross-tab refresh with rotation, logout.
    { name: "keycloak", testDir: "test/keycloak", testMatch: "**/*.spec.ts" },
  ],
});
