/**
 * DPoP (the demo's default in token mode; `GWO_DPOP=off` turns it off, bearer.spec.ts) in real
 * Chromium, on both paths (direct, and browser → Envoy → ext_authz
 * verifier → backend): sign-in binds the tokens to a key the page cannot export, every
 * call carries `Authorization: DPoP` and a fresh proof, the stream too, two tabs share the
 * key and one refresh per expiry, and a token copied out of the page is useless elsewhere.
 */

import { readFileSync } from "node:fs";
import { rawGrpcWebCall } from "../helpers/grpc-web-raw.js";
import { makeProof, proofKey } from "../server/helpers/dpop-proof.js";
import {
  burst,
  byId,
  callAndWait,
  jwtClaims as claimsOf,
  countLog,
  openApp,
  recordApiCalls,
  screenshot,
  watchStream,
} from "./app.js";
import { expect, test } from "./fixtures.js";

// No test.use: the suite's stack runs the demo's default (demo/modes.ts), DPoP on, and this file
// shares it with app.spec.ts instead of starting one more per project.

test("1. sign-in binds the tokens to a non-extractable key; every call and the stream carry a fresh proof", async ({
  signIn,
  stack,
}) => {
  const page = await signIn("reader");
  await expect(byId(page, "dpop-badge")).toBeVisible();
  const seen = recordApiCalls(page, stack.apiUrl);
  for (const b of ["btn-whoami", "btn-list", "btn-whoami"]) {
    expect(await callAndWait(page, b)).toBe("OK");
  }
  expect(await watchStream(page, 3, 50)).toBe("OK");
  expect(seen.length).toBe(4);
  expect(new Set(seen.map((s) => s.dpop)).size).toBe(4);
  for (const s of seen) {
    expect(s.authorization).toMatch(/^DPoP ey/);
    const proof = claimsOf(s.dpop);
    expect(proof.htm).toBe("POST");
    expect(proof.htu).toBe(s.url);
    const token = claimsOf(s.authorization.slice(5));
    expect((token.cnf as { jkt?: string }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  }

  // The key oidc-client-ts keeps in IndexedDB: its private half cannot leave WebCrypto.
  const key = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open("oidc");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const states = await new Promise<{ keys: CryptoKeyPair }[]>((resolve, reject) => {
      const r = db.transaction("dpop", "readonly").objectStore("dpop").getAll();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const pair = states[0]?.keys;
    let exported = "refused";
    try {
      await crypto.subtle.exportKey("jwk", pair!.privateKey);
      exported = "exported";
    } catch {}
    return { count: states.length, extractable: pair?.privateKey.extractable, exported };
  });
  expect(key).toEqual({ count: 1, extractable: false, exported: "refused" });
  await screenshot(page, "dpop-1-reader");
});

test("2. a token copied out of the page is refused: as Bearer, with another key, or with a replayed proof", async ({
  signIn,
  stack,
}) => {
  const page = await signIn("reader");
  const seen = recordApiCalls(page, stack.apiUrl);
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  const { authorization, dpop, url } = seen[0]!;
  const token = authorization.slice("DPoP ".length);
  const attacker = await proofKey();
  const path = new URL(url).pathname;
  const send = (headers: Record<string, string>) =>
    rawGrpcWebCall({
      origin: stack.apiUrl,
      ca: readFileSync(stack.pki.ca.cert),
      path,
      message: new Uint8Array(),
      headers,
    });
  expect((await send({ authorization: `Bearer ${token}` })).grpcStatus).toBe(16);
  const ownProof = await makeProof(attacker, { htu: url, token });
  expect((await send({ authorization: `DPoP ${token}`, dpop: ownProof })).grpcStatus).toBe(16);
  expect((await send({ authorization, dpop })).grpcStatus).toBe(16);
  // The page itself goes on working.
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
});

test("3. two tabs share the key: one refresh-token grant per expiry, bound to it, never reused", async ({
  appUrl,
  context,
  signIn,
  stack,
}) => {
  const tab1 = await signIn("reader");
  const tab2 = await context.newPage();
  await openApp(tab2, appUrl);
  await byId(tab2, "session-subject").filter({ hasText: "reader" }).waitFor();
  const seen1 = recordApiCalls(tab1, stack.apiUrl);
  const seen2 = recordApiCalls(tab2, stack.apiUrl);
  const grants0 = stack.idp.stats.refreshGrants;
  const reuse0 = stack.idp.stats.refreshReuse;
  while (
    (await countLog(tab1, '[data-event="refresh-done"]')) < 1 ||
    (await countLog(tab2, '[data-event="refresh-done"]')) < 1
  ) {
    const codes = await Promise.all([
      burst(tab1, ["btn-whoami", "btn-list"]),
      burst(tab2, ["btn-list", "btn-whoami"]),
    ]);
    expect(codes.flat()).toEqual(["OK", "OK", "OK", "OK"]);
    await tab1.waitForTimeout(500);
  }
  expect(await callAndWait(tab1, "btn-whoami")).toBe("OK");
  expect(await callAndWait(tab2, "btn-whoami")).toBe("OK");
  expect(stack.idp.stats.refreshGrants - grants0).toBe(1);
  expect(stack.idp.stats.refreshReuse - reuse0).toBe(0);
  // Every call of both tabs, before and after the refresh, is bound to one key.
  const seen = [...seen1, ...seen2];
  const jkts = new Set(
    seen.map((s) => (claimsOf(s.authorization.slice(5)).cnf as { jkt: string }).jkt),
  );
  expect(jkts.size).toBe(1);
  expect(new Set(seen.map((s) => s.authorization)).size).toBeGreaterThanOrEqual(2);
  await screenshot(tab2, "dpop-3-two-tabs");
});
