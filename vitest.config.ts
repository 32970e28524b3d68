import { defineConfig } from "vitest/config";

// One project per area, so each can be run alone (`npx vitest --project sdk`)
// and slow, port-binding suites can be serialised without slowing the rest.
// Work in every test is bounded by count; these limits only catch a hang, so they leave room
// for a busy 2-core CI machine running other suites (about 10x slower than an idle one).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // expect.poll's own default (1 s) is a wall-time assertion in disguise.
    expect: { poll: { timeout: 30_000, interval: 50 } },
    projects: [
      { extends: true, test: { name: "access", include: ["test/access/**/*.test.ts"] } },
      { extends: true, test: { name: "common", include: ["test/common/**/*.test.ts"] } },
      { extends: true, test: { name: "sdk", include: ["test/sdk/**/*.test.ts"] } },
      { extends: true, test: { name: "server", include: ["test/server/**/*.test.ts"] } },
      { extends: true, test: { name: "idp", include: ["test/idp/**/*.test.ts"] } },
      { extends: true, test: { name: "envoy", include: ["test/envoy/**/*.test.ts"] } },
      // Demo stack pieces and `npm run demo` as a process. The browser suite (test/e2e) runs on
      // Playwright: playwright.config.ts.
      {
        extends: true,
        test: {
          name: "demo",
          include: ["test/demo/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      { extends: true, test: { name: "repo", include: ["test/repo/**/*.test.ts"] } },
      // The benches' own hygiene (each closes what it opens), not their figures: those are
      // measured by `npm run bench`, never asserted on time here.
      { extends: true, test: { name: "bench", include: ["test/bench/**/*.test.ts"] } },
      {
        // Parts nobody on this project wrote, from Node: Python grpcio as backend and client.
        // (Google's grpc-web runs in Chromium: Playwright project grpc-web, test/foreign/*.spec.ts.)
        extends: true,
        test: {
          name: "foreign",
          include: ["test/foreign/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
