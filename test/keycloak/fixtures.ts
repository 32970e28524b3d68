/**
 * The Keycloak suite's fixtures (Playwright project `keycloak`): one Keycloak per worker
 * (the config runs one worker, so one per run), configured by script, with the SDK test page
 * (test/sdk/browser) and the demo web app in front of the backend kit and a real Envoy, all
 * configured from the realm's one set of claim settings.
 */
import { readFileSync } from "node:fs";
import { test as base, type Page } from "@playwright/test";
import { bindAndRelease, type RunningEnvoy, startEnvoy } from "../../demo/envoy.js";
import { ensureDevPki } from "../../demo/pki.js";
import { type Backend, startBackend } from "../../demo/server/server.js";
import { startWebApp, type WebApp } from "../../demo/web/start.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { byId, openApp } from "../e2e/app.js";
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

/**
 * Another mode's stack on the same Keycloak, in its own realm: a web app, the backend kit and
 * Envoy, all configured from that realm's claim settings.
 */
export interface ModeStack {
  realm: KeycloakRealm;
  web: WebApp;
  backend: Backend;
  envoy: RunningEnvoy;
  /** Envoy's last log lines: its access log and the oauth2 filter's debug output (test only). */
  envoyLog: string[];
}

/** The session-mode gateway's client id at Keycloak. */
export const SESSION_CLIENT_ID = "notes-gateway";

/** Access-token lifespan of the mode realms, seconds: short, so a test can wait for expiry. */
export const MODE_TOKEN_TTL_S = 20;

export const pki = ensureDevPki();
const root = new URL("../..", import.meta.url).pathname;

/** Fills Keycloak's own login form (the page must be on it). */
export async function keycloakLogin(page: Page, user: UserName): Promise<void> {
  await page.waitForSelector("#username");
  await page.fill("#username", user);
  await page.fill("#password", user);
  await page.click("#kc-login");
}

/**
 * Signs in to the demo web app through Keycloak's login page (token mode: the SDK's redirect;
 * session mode: the gateway's `/oauth2/signin`); resolves when the app shows a signed-in user.
 */
export async function appSignIn(page: Page, appUrl: string, user: UserName): Promise<void> {
  await openApp(page, appUrl);
  await byId(page, "btn-hero-signin").click();
  await keycloakLogin(page, user);
  await page.waitForURL((u) => u.origin === new URL(appUrl).origin, { timeout: 60_000 });
  await page.waitForSelector('body[data-ready="true"]');
  await byId(page, "signed-in").waitFor();
}

/** On a failure, attaches what Keycloak and Envoy recorded (errors by type, Envoy's log). */
export async function attachDiagnostics(stack: ModeStack): Promise<void> {
  const info = test.info();
  if (info.status === info.expectedStatus) return;
  const errors: Record<string, unknown> = {};
  for (const type of ["LOGIN_ERROR", "CODE_TO_TOKEN_ERROR", "REFRESH_TOKEN_ERROR"])
    errors[type] = await stack.realm.events(type).catch((e: unknown) => String(e));
  await info.attach("keycloak-errors.json", {
    body: JSON.stringify(errors, null, 2),
    contentType: "application/json",
  });
  await info.attach("envoy.log", { body: stack.envoyLog.join("\n"), contentType: "text/plain" });
  const responses = stack.envoyLog.filter((l) => /Oauth response (code|body)/.test(l));
  console.log(`oauth2 token responses:\n${responses.slice(-20).join("\n")}`);
  console.log(
    `keycloak errors: ${JSON.stringify(errors)}\nenvoy:\n${stack.envoyLog.slice(-40).join("\n")}`,
  );
}

/** Refresh failures that Keycloak records: a reused (revoked) refresh token is one of them. */
async function refreshErrors(realm: KeycloakRealm): Promise<number> {
  return (await realm.events("REFRESH_TOKEN_ERROR")).length;
}

/**
 * Token mode with DPoP (realm `notes-dpop`, its public client requires DPoP-bound tokens) or
 * session mode (realm `notes-bff`, the gateway's confidential client, no refresh-token
 * rotation: the oauth2 filter refreshes per request with no coordination).
 */
async function startModeStack(
  kc: RunningKeycloak,
  mode: "dpop" | "session",
  stops: (() => Promise<void>)[],
): Promise<ModeStack> {
  const web = await startWebApp({ pki, port: 0 });
  stops.push(() => web.close());
  const appUrl = `${web.url}/`;
  // The gateway's callback is registered before Envoy starts: pick its port now.
  const envoyPort = await bindAndRelease(0);
  const gateway = `https://localhost:${envoyPort}`;
  const realm =
    mode === "dpop"
      ? await configureRealm(kc, {
          realm: "notes-dpop",
          clientId: `${CLIENT_ID}-dpop`,
          client: { kind: "public", dpop: true },
          redirectUris: [appUrl],
          webOrigins: [web.url],
          accessTokenLifespan: MODE_TOKEN_TTL_S,
        })
      : await configureRealm(kc, {
          realm: "notes-bff",
          clientId: SESSION_CLIENT_ID,
          client: {
            kind: "confidential",
            secret: readFileSync(pki.secrets.gatewayClientSecret, "utf8").trim(),
          },
          redirectUris: [`${gateway}/oauth2/callback`],
          postLogoutRedirectUris: [appUrl],
          webOrigins: [],
          accessTokenLifespan: MODE_TOKEN_TTL_S,
          rotateRefreshTokens: false,
        });
  const backend = await startBackend({
    pki,
    issuer: realm.issuer,
    claims: realm.claims,
    allowedOrigins: [web.url],
    ...(mode === "dpop" ? { dpop: {} } : {}),
  });
  stops.push(() => backend.close());
  const oidc = `${realm.issuer}/protocol/openid-connect`;
  const envoyLog: string[] = [];
  const envoy = await startEnvoy({
    componentLogLevels: "oauth2:debug",
    log: (line) => {
      envoyLog.push(line);
      if (envoyLog.length > 400) envoyLog.shift();
    },
    pki,
    port: envoyPort,
    idpIssuer: realm.issuer,
    jwksUri: realm.jwksUri,
    backendPort: backend.mtlsPort,
    allowedOrigins: [web.url],
    claims: realm.claims,
    ...(mode === "dpop" ? { dpop: {} } : {}),
    ...(mode === "session"
      ? {
          session: {
            appUrl,
            provider: {
              clientId: SESSION_CLIENT_ID,
              authorizationEndpoint: `${oidc}/auth`,
              tokenEndpoint: `${oidc}/token`,
              endSessionEndpoint: `${oidc}/logout`,
              scopes: SCOPE.split(" "),
            },
          },
        }
      : {}),
  });
  stops.push(() => envoy.close());
  // Proofs through the gateway name its origin; the backend checks them again.
  if (mode === "dpop") backend.setGatewayOrigin(envoy.url);
  web.setConfig({
    authority: realm.issuer,
    clientId: mode === "dpop" ? `${CLIENT_ID}-dpop` : SESSION_CLIENT_ID,
    apiUrl: envoy.url,
    scope: SCOPE,
    storage: "local",
    path: "envoy",
    rolesClaim: realm.claims.rolesClaim ?? "roles",
    tokenTtl: MODE_TOKEN_TTL_S,
    ...(mode === "dpop" ? { dpop: true, refreshLeewaySeconds: 5 } : { session: true }),
  });
  return { realm, web, backend, envoy, envoyLog };
}

/** A worker fixture that starts a mode's stack on the worker's Keycloak and stops it after. */
function modeFixture(
  mode: "dpop" | "session",
): [
  (args: { keycloak: KeycloakSetup }, use: (stack: ModeStack) => Promise<void>) => Promise<void>,
  { scope: "worker"; timeout: number },
] {
  return [
    async (
      { keycloak }: { keycloak: KeycloakSetup },
      use: (stack: ModeStack) => Promise<void>,
    ): Promise<void> => {
      const stops: (() => Promise<void>)[] = [];
      try {
        await use(await startModeStack(keycloak.kc, mode, stops));
      } finally {
        for (const stop of stops.reverse()) await stop().catch(() => {});
      }
    },
    { scope: "worker", timeout: 240_000 },
  ];
}

export const test = base.extend<
  { runnable: undefined },
  { keycloak: KeycloakSetup; dpopStack: ModeStack; sessionStack: ModeStack }
>({
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

  dpopStack: modeFixture("dpop"),
  sessionStack: modeFixture("session"),
});
