/**
 * The Keycloak suite's fixtures (Playwright project `keycloak`): one Keycloak per worker
 * (the config runs one worker, so one per run), configured by script, with the SDK test page
 * (test/sdk/browser) and the demo web app in front of the backend kit and a real Envoy, all
 * configured from the realm's one set of claim settings.
 */
import { test as base } from "@playwright/test";
import { type RunningEnvoy, startEnvoy } from "../../demo/envoy.js";
import { ensureDevPki } from "../../demo/pki.js";
import { type Backend, startBackend } from "../../demo/server/server.js";
import { startWebApp, type WebApp } from "../../demo/web/start.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { hasChromium, trustSpkiArg } from "../e2e/chromium.js";
import { startTestPage, type TestPageServer } from "../sdk/browser/app-server.js";
import type { StressIdp } from "../sdk/browser/refresh-stress.js";
import { findKeycloak, type RunningKeycloak, startKeycloak } from "./keycloak.js";
import { CLIENT_ID, configureRealm, type KeycloakRealm, SCOPE, type UserName } from "./realm.js";

export { expect } from "@playwright/test";

/** Access-token lifespan at the realm, seconds. */
export const TOKEN_TTL_S = 60;

export interface KeycloakSetup {
  kc: RunningKeycloak;
  realm: KeycloakRealm;
  /** The SDK test page (`window.gwoTest`), `storage: "local"`. */
  page: TestPageServer;
  /** The demo web app, calling Envoy. */
  web: WebApp;
  backend: Backend;
  envoy: RunningEnvoy;
  /** Keycloak as the cross-tab stress run sees it: reuse counted from its events. */
  stressIdp: StressIdp;
}

export const pki = ensureDevPki();
const root = new URL("../..", import.meta.url).pathname;

/** Fills Keycloak's own login form (the page must be on it). */
export async function keycloakLogin(
  page: import("@playwright/test").Page,
  user: UserName,
): Promise<void> {
  await page.waitForSelector("#username");
  await page.fill("#username", user);
  await page.fill("#password", user);
  await page.click("#kc-login");
}

/** Refresh failures that Keycloak records: a reused (revoked) refresh token is one of them. */
async function refreshErrors(realm: KeycloakRealm): Promise<number> {
  return (await realm.events("REFRESH_TOKEN_ERROR")).length;
}

export const test = base.extend<{ runnable: undefined }, { keycloak: KeycloakSetup }>({
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
      testInfo.skip(!findKeycloak(), "no Keycloak (bash scripts/setup-keycloak.sh)");
      testInfo.skip(!findEnvoy(root), "no Envoy binary (npm run setup:envoy)");
      await use(undefined);
    },
    { auto: true },
  ],

  keycloak: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern.
    async ({}, use, workerInfo) => {
      const stops: (() => Promise<void>)[] = [];
      try {
        const page = await startTestPage(pki.localhost);
        stops.push(() => page.close());
        const web = await startWebApp({ pki, port: 0 });
        stops.push(() => web.close());
        const kc = await startKeycloak({ pki });
        stops.push(() => kc.close());
        console.log(`keycloak: started in ${(kc.startMs / 1000).toFixed(1)} s`);
        const realm = await configureRealm(kc, {
          redirectUris: [page.redirectUri, `${web.url}/`],
          webOrigins: [page.url, web.url],
          accessTokenLifespan: TOKEN_TTL_S,
        });
        page.setConfig({
          authority: realm.issuer,
          clientId: CLIENT_ID,
          scope: SCOPE,
          storage: "local",
        });
        // No jwksUri: the backend finds Keycloak's (…/protocol/openid-connect/certs) by discovery.
        const backend = await startBackend({
          pki,
          issuer: realm.issuer,
          claims: realm.claims,
          allowedOrigins: [web.url],
        });
        stops.push(() => backend.close());
        const envoy = await startEnvoy({
          pki,
          idpIssuer: realm.issuer,
          jwksUri: realm.jwksUri,
          backendPort: backend.mtlsPort,
          allowedOrigins: [web.url],
          claims: realm.claims,
        });
        stops.push(() => envoy.close());
        web.setConfig({
          authority: realm.issuer,
          clientId: CLIENT_ID,
          apiUrl: envoy.url,
          scope: SCOPE,
          storage: "local",
          path: "envoy",
          rolesClaim: realm.claims.rolesClaim ?? "roles",
        });
        const stressIdp: StressIdp = {
          login: (p) => keycloakLogin(p, "reader"),
          refreshReuse: () => refreshErrors(realm),
          refreshGrants: async () => (await realm.events("REFRESH_TOKEN")).length,
        };
        await use({ kc, realm, page, web, backend, envoy, stressIdp });
      } finally {
        for (const stop of stops.reverse()) await stop().catch(() => {});
      }
      void workerInfo;
    },
    // A first Keycloak start builds the server (about 95 s on 2 cores); the web app builds too.
    { scope: "worker", timeout: 420_000 },
  ],
});
