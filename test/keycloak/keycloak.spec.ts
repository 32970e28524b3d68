/**
 * Keycloak 26 as the identity provider, end to end: its own login page in Chromium, the SDK,
 * a real Envoy generated from the realm's claim settings, and the backend kit behind it.
 *
 * `bash scripts/setup-keycloak.sh && npx playwright test --project keycloak`
 */
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { Agent, fetch as undiciFetch } from "undici";
import { byId, callAndWait, oidcUserEntries } from "../e2e/app.js";
import { openTab, runRefreshStress, signIn } from "../sdk/browser/refresh-stress.js";
import { appSignIn, expect, pki, TOKEN_TTL_S, test } from "./fixtures.js";
import { AUDIENCE, CLIENT_ID, SCOPE, type UserName } from "./realm.js";

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

/** The stored oidc-client-ts user of the page (the test reads it; the app never shows it). */
async function storedTokens(page: Page): Promise<{ access: string; id: string }> {
  const entries = await oidcUserEntries(page);
  const user = JSON.parse(entries[0]?.value ?? "{}") as {
    access_token?: string;
    id_token?: string;
  };
  return { access: user.access_token ?? "", id: user.id_token ?? "" };
}

/** `iat` (seconds) of the refresh token the page holds. */
async function refreshTokenIssuedAt(page: Page): Promise<number> {
  const entries = await oidcUserEntries(page);
  const user = JSON.parse(entries[0]?.value ?? "{}") as { refresh_token?: string };
  const iat = decode((user.refresh_token ?? "").split(".")[1] ?? "").iat;
  if (typeof iat !== "number") throw new Error("the page holds no Keycloak refresh token");
  return iat;
}

/**
 * Waits until the clock is past the second `iat` names. Keycloak's admin "log out user"
 * (`UserResource.logout`) sets the user's not-before to `Time.currentTime()`, in whole
 * seconds, and its refresh check (`TokenManager.NotBeforeCheck`) refuses a token only when
 * `iat < notBefore`: a logout in the same second as the token's issuance does not revoke it.
 */
async function waitPastSecond(iat: number): Promise<void> {
  const wait = (iat + 1) * 1000 + 50 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** A raw gRPC-Web call; the grpc-status from the headers or the trailer frame. */
async function grpcStatus(baseUrl: string, authorization: string): Promise<number> {
  const agent = new Agent({ connect: { ca: readFileSync(pki.ca.cert, "utf8") }, allowH2: true });
  try {
    const res = await undiciFetch(`${baseUrl}/demo.v1.NotesService/WhoAmI`, {
      method: "POST",
      headers: {
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
        authorization,
      },
      body: new Uint8Array(5),
      dispatcher: agent,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const inHeaders = res.headers.get("grpc-status");
    if (inHeaders !== null) return Number(inHeaders);
    const m = /grpc-status:\s*(\d+)/.exec(body.toString("latin1"));
    return m ? Number(m[1]) : -1;
  } finally {
    await agent.close();
  }
}

test.describe("Keycloak", () => {
  test("the realm is configured by script: public PKCE client, rotation with reuse 0, audience mapper", async ({
    keycloak,
  }) => {
    const realm = await keycloak.realm.representation();
    expect(realm).toMatchObject({ revokeRefreshToken: true, refreshTokenMaxReuse: 0 });
    const client = await keycloak.realm.client();
    expect(client).toMatchObject({ clientId: CLIENT_ID, publicClient: true });
    expect((client.attributes as Record<string, string>)["pkce.code.challenge.method"]).toBe(
      "S256",
    );
    const mappers = client.protocolMappers as { protocolMapper: string }[];
    expect(mappers.map((m) => m.protocolMapper)).toContain("oidc-audience-mapper");
  });

  test("signs in on Keycloak's login page; tokens have Keycloak's shapes; the SDK reads realm_access.roles", async ({
    keycloak,
    page,
  }) => {
    await appSignIn(page, keycloak.web.url, "admin");
    await expect(byId(page, "session-roles")).toContainText("admin");
    const { access, id } = await storedTokens(page);
    const [ah, ap] = access.split(".").map((p, i) => (i < 2 ? decode(p) : p));
    expect(ah.typ).toBe("JWT");
    expect(ap).toMatchObject({ typ: "Bearer", azp: CLIENT_ID, iss: keycloak.realm.issuer });
    expect([ap.aud].flat()).toContain(AUDIENCE);
    expect(typeof ap.scope).toBe("string");
    expect(ap.scope.split(" ")).toEqual(expect.arrayContaining(["notes.read", "notes.write"]));
    expect(ap.realm_access.roles).toEqual(expect.arrayContaining(["admin", "writer", "reader"]));
    const ip = decode(id.split(".")[1]!);
    expect(ip).toMatchObject({ typ: "ID", aud: CLIENT_ID });
  });

  test("Envoy and the backend authorize by Keycloak's claims, and both refuse its ID token", async ({
    keycloak,
    browser,
  }) => {
    const expected: Record<UserName, Record<string, string>> = {
      reader: {
        "btn-list": "OK",
        "btn-create": "PERMISSION_DENIED",
        "btn-purge": "PERMISSION_DENIED",
      },
      writer: { "btn-list": "OK", "btn-create": "OK", "btn-purge": "PERMISSION_DENIED" },
      admin: { "btn-list": "OK", "btn-create": "OK", "btn-purge": "OK" },
    };
    for (const user of ["reader", "writer", "admin"] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await appSignIn(page, keycloak.web.url, user);
      const codes: Record<string, string> = {};
      for (const button of Object.keys(expected[user])) {
        if (button === "btn-create") await byId(page, "note-text").fill(`from ${user}`);
        codes[button] = await callAndWait(page, button);
      }
      expect({ user, codes }).toEqual({ user, codes: expected[user] });
      if (user === "reader") {
        const { access, id } = await storedTokens(page);
        const backendUrl = `https://localhost:${keycloak.backend.webPort}`;
        for (const url of [keycloak.envoy.url, backendUrl]) {
          expect(await grpcStatus(url, `Bearer ${access}`), url).toBe(0);
          // Keycloak's ID token: same header typ (JWT), payload typ ID, aud = the client id.
          expect(await grpcStatus(url, `Bearer ${id}`), url).toBe(16);
        }
      }
      await context.close();
    }
  });

  for (const tabs of [2, 4]) {
    test(`cross-tab refresh with rotation (reuse 0): ${tabs} tabs x 100 rounds, no refresh token presented twice`, async ({
      keycloak,
      context,
    }, testInfo) => {
      const errorsBefore = await keycloak.stressIdp.refreshReuse();
      const report = await runRefreshStress({
        context,
        appUrl: keycloak.page.url,
        idp: keycloak.stressIdp,
        tabs,
        rounds: 100,
        expirySkipMs: (TOKEN_TTL_S + 1) * 1000,
      });
      await testInfo.attach("stress-report.json", {
        body: JSON.stringify(report, null, 2),
        contentType: "application/json",
      });
      console.log(
        `keycloak stress ${tabs} tabs: ${report.calls} calls, ${report.succeeded} ok, ` +
          `reuses ${report.reuses}, ${(report.durationMs / 1000).toFixed(1)} s`,
      );
      expect(report.reuses).toBe(0);
      expect(await keycloak.stressIdp.refreshReuse()).toBe(errorsBefore);
      expect(report.failedPhases).toEqual([]);
      expect(report.succeeded).toBe(report.calls);
      expect(report.grantsPerExpiry).toEqual(Array(100).fill(1));
      expect(report.signIns).toBe(1);
    });
  }

  test("admin 'log out user' ends the session: every tab is told once, and calls stop", async ({
    keycloak,
    context,
  }) => {
    const url = keycloak.page.url;
    const tabs = [await openTab(context, url), await openTab(context, url)];
    await signIn(tabs[0]!, { context, appUrl: url, idp: keycloak.stressIdp });
    for (const tab of tabs)
      await expect.poll(() => tab.evaluate(() => window.gwoTest.signedIn())).toBe(true);
    expect(await keycloak.realm.sessions("reader")).toBeGreaterThan(0);

    await keycloak.realm.logoutUser("reader");
    expect(await keycloak.realm.sessions("reader")).toBe(0);
    // The next refresh (forced here; the access token itself stays valid until it expires)
    // meets invalid_grant; after that every call in every tab fails fast, with no token.
    for (let i = 0; i < 3; i++) {
      for (const tab of tabs) {
        const spec = i === 0 ? { forced: 2, plain: 0 } : { forced: 1, plain: 1 };
        const r = await tab.evaluate((s) => window.gwoTest.burst(s), spec);
        expect(r.ok).toBe(0);
      }
    }
    for (const tab of tabs) {
      await expect
        .poll(
          async () =>
            (await tab.evaluate(() => window.gwoTest.events())).filter((e) => e === "session-ended")
              .length,
        )
        .toBe(1);
    }
  });

  test("with offline_access, admin 'log out user' still ends refresh, but the offline session stays listed", async ({
    keycloak,
    context,
  }) => {
    const url = keycloak.page.url;
    keycloak.page.setConfig({
      authority: keycloak.realm.issuer,
      clientId: CLIENT_ID,
      scope: `${SCOPE} offline_access`,
      storage: "local",
    });
    try {
      const tab = await openTab(context, url);
      await signIn(tab, { context, appUrl: url, idp: keycloak.stressIdp });
      expect(await keycloak.realm.offlineSessions("reader")).toBe(1);
      // The offline session survives the logout (below), so only the user's not-before refuses
      // its token, and only from the second after the token was issued (waitPastSecond):
      // without the wait, sign-in and logout in the same second left the token working.
      const iat = await refreshTokenIssuedAt(tab);
      await waitPastSecond(iat);
      await keycloak.realm.logoutUser("reader");
      expect(await keycloak.realm.notBefore("reader")).toBeGreaterThan(iat);
      expect(await keycloak.realm.sessions("reader")).toBe(0);
      // Measured on Keycloak 26.7.3: the offline session record survives the logout (the admin
      // console still lists it, with its 30-day idle timeout), yet its refresh token is refused.
      expect(await keycloak.realm.offlineSessions("reader")).toBe(1);
      const r = await tab.evaluate(() => window.gwoTest.burst({ forced: 1, plain: 0 }));
      expect(r).toMatchObject({ ok: 0, failures: ["SessionEndedError:invalid_grant"] });
      await expect
        .poll(
          async () =>
            (await tab.evaluate(() => window.gwoTest.events())).filter((e) => e === "session-ended")
              .length,
        )
        .toBe(1);
    } finally {
      keycloak.page.setConfig({
        authority: keycloak.realm.issuer,
        clientId: CLIENT_ID,
        scope: SCOPE,
        storage: "local",
      });
    }
  });

  test("sign-out in the app ends the Keycloak session and returns to the app signed out", async ({
    keycloak,
    page,
  }) => {
    await appSignIn(page, keycloak.web.url, "writer");
    // Other tests' browser contexts may hold sessions of the same user: count this one.
    const before = await keycloak.realm.sessions("writer");
    expect(before).toBeGreaterThan(0);
    await byId(page, "btn-signout").click();
    await page.waitForURL((u) => u.origin === new URL(keycloak.web.url).origin, {
      timeout: 60_000,
    });
    await byId(page, "signed-out").waitFor();
    await expect.poll(() => keycloak.realm.sessions("writer")).toBe(before - 1);
    expect(await oidcUserEntries(page)).toEqual([]);
  });
});
