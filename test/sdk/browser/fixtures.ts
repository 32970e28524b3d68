/**
 * Fixtures of the SDK's browser specs (Playwright project `sdk-browser`): Debian's Chromium
 * trusting the development leaf certificate, and a worker-scoped demo IdP with the SDK test
 * page registered as its client's redirect URI. Another IdP plugs in through `StressIdp`.
 */
import { test as base } from "@playwright/test";
import { CLIENT_ID, type Idp, startIdp } from "../../../demo/idp/server.js";
import { ensureDevPki } from "../../../demo/pki.js";
import { hasChromium, trustSpkiArg } from "../../e2e/chromium.js";
import { startTestPage, type TestPageServer } from "./app-server.js";
import { demoStressIdp, type StressIdp } from "./refresh-stress.js";

export { expect } from "@playwright/test";

/** The demo IdP's access-token lifetime in these specs, seconds. */
export const TOKEN_TTL_S = 20;

export interface DemoIdpSetup {
  /** The SDK test page, configured for the demo IdP with `storage: "local"`. */
  app: TestPageServer;
  idp: Idp;
  /** The demo IdP as `runRefreshStress` and `signIn` see it. */
  stressIdp: StressIdp;
}

const pki = ensureDevPki();

export const test = base.extend<{ runnable: undefined }, { demo: DemoIdpSetup }>({
  // The project's launch options plus trust for the development leaf certificate.
  launchOptions: [
    async ({ launchOptions }, use) => {
      await use({
        ...launchOptions,
        args: [...(launchOptions.args ?? []), trustSpkiArg(pki.localhostSpki)],
      });
    },
    { scope: "worker" },
  ],

  runnable: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern.
    async ({}, use, testInfo) => {
      testInfo.skip(!hasChromium(), "no Chromium (set CHROMIUM_BIN)");
      await use(undefined);
    },
    { auto: true },
  ],

  demo: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern.
    async ({}, use) => {
      const app = await startTestPage(pki.localhost);
      const idp = await startIdp({
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
      try {
        await use({ app, idp, stressIdp: demoStressIdp(idp) });
      } finally {
        await idp.close();
        await app.close();
      }
    },
    { scope: "worker" },
  ],
});
