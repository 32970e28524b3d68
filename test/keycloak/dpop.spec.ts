/**
 * DPoP with Keycloak as the IdP (realm `notes-dpop`, client setting "Require DPoP bound
 * tokens"): the SDK's `dpop` gets tokens bound to its non-extractable key, the gateway
 * (ext_authz proof check) and the backend accept them with a proof per call and refuse them
 * copied out of the page, and a refresh keeps the binding.
 *
 * `bash scripts/setup-keycloak.sh && npx playwright test --project keycloak dpop`
 */
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from "jose";
import {
  byId,
  callAndWait,
  jwtClaims as claimsOf,
  countLog,
  oidcUserEntries,
  recordApiCalls,
} from "../e2e/app.js";
import { rawGrpcWebCall } from "../helpers/grpc-web-raw.js";
import { makeProof, proofKey, tokenRequestProof } from "../server/helpers/dpop-proof.js";
import { appSignIn, attachDiagnostics, expect, pki, test } from "./fixtures.js";

/** The oidc-client-ts user the SDK stored (the test reads it; the app never shows it). */
async function storedUser(page: Page) {
  const entries = await oidcUserEntries(page);
  return JSON.parse(entries[0]?.value ?? "{}") as {
    token_type?: string;
    access_token?: string;
    refresh_token?: string;
  };
}

test.afterEach(async ({ dpopStack }) => attachDiagnostics(dpopStack));

test("DPoP: Keycloak binds the tokens to the page's key; gateway and backend accept proofs, refuse copies; refresh keeps the binding", async ({
  dpopStack,
  keycloak,
  page,
}) => {
  const { web, envoy, backend, realm } = dpopStack;
  const grants0 = (await realm.events("REFRESH_TOKEN")).length;
  await appSignIn(page, web.url, "reader");
  await expect(byId(page, "dpop-badge")).toBeVisible();
  const user = await storedUser(page);
  expect(user.token_type).toBe("DPoP");

  const seen = recordApiCalls(page, envoy.url);
  for (const b of ["btn-whoami", "btn-list"]) expect(await callAndWait(page, b)).toBe("OK");
  expect(seen.length).toBe(2);
  const first = seen[0]!;
  expect(first.authorization).toMatch(/^DPoP ey/);
  const token = first.authorization.slice("DPoP ".length);
  const jkt = (claimsOf(token).cnf as { jkt?: string } | undefined)?.jkt;
  // The token names the key that signed the page's proofs.
  const proofJwk = decodeProtectedHeader(first.dpop).jwk as JWK;
  expect(jkt).toBe(await calculateJwkThumbprint(proofJwk, "sha256"));
  // Keycloak marks a bound access token in its payload: typ DPoP (Bearer when unbound), which
  // is what the gateway and the backend require here (requiredClaims).
  expect(claimsOf(token)).toMatchObject({ iss: realm.issuer, typ: "DPoP" });

  // Copied out of the page: as Bearer, without a proof, with another key, with a replayed proof.
  const attacker = await proofKey();
  const ca = readFileSync(pki.ca.cert);
  const path = new URL(first.url).pathname;
  const backendUrl = `https://localhost:${backend.webPort}`;
  const status = async (origin: string, headers: Record<string, string>) =>
    (await rawGrpcWebCall({ origin, ca, path, message: new Uint8Array(), headers })).grpcStatus;
  for (const origin of [envoy.url, backendUrl]) {
    const htu = `${origin}${path}`;
    const attempts = {
      bearer: await status(origin, { authorization: `Bearer ${token}` }),
      "no proof": await status(origin, { authorization: `DPoP ${token}` }),
      "another key": await status(origin, {
        authorization: `DPoP ${token}`,
        dpop: await makeProof(attacker, { htu, token }),
      }),
      replayed: await status(origin, { authorization: first.authorization, dpop: first.dpop }),
    };
    expect({ origin, attempts }).toEqual({
      origin,
      attempts: { bearer: 16, "no proof": 16, "another key": 16, replayed: 16 },
    });
  }

  // Refresh keeps the binding: calls go on across one (20 s tokens, renewed 5 s early).
  while ((await countLog(page, '[data-event="refresh-done"]')) < 1) {
    expect(await callAndWait(page, "btn-whoami")).toBe("OK");
    await page.waitForTimeout(1000);
  }
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  const last = seen.at(-1)!;
  const renewed = last.authorization.slice("DPoP ".length);
  expect(renewed).not.toBe(token);
  expect((claimsOf(renewed).cnf as { jkt?: string }).jkt).toBe(jkt);
  expect((await realm.events("REFRESH_TOKEN")).length - grants0).toBeGreaterThanOrEqual(1);
  expect(await realm.events("REFRESH_TOKEN_ERROR")).toEqual([]);

  // The refresh token is bound too: Keycloak refuses it without a proof and with another key.
  const refreshToken = (await storedUser(page)).refresh_token ?? "";
  expect(refreshToken).not.toBe("");
  const tokenEndpoint = `${realm.issuer}/protocol/openid-connect/token`;
  const refresh = async (headers: Record<string, string>) => {
    const res = await keycloak.kc.fetch(tokenEndpoint, {
      method: "POST",
      headers,
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: String((await realm.client()).clientId),
        refresh_token: refreshToken,
      }),
    });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error };
  };
  const withoutProof = await refresh({});
  const otherKey = await refresh({ dpop: await tokenRequestProof(attacker, tokenEndpoint) });
  expect([withoutProof.status, otherKey.status]).toEqual([400, 400]);
  // The page's own session is untouched by the refused attempts.
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
});
