/**
 * `GWO_DPOP=off` in real Chromium, on both paths: the demo's other token-mode setting. Tokens
 * are plain Bearer tokens (no `cnf`), every call carries `Authorization: Bearer` and no proof,
 * the page keeps working across a refresh, and — the property DPoP takes away — a token copied
 * out of the page works anywhere until it expires.
 */

import { readFileSync } from "node:fs";
import { rawGrpcWebCall } from "../helpers/grpc-web-raw.js";
import { byId, callAndWait, countLog, recordApiCalls, watchStream } from "./app.js";
import { DEFAULT_TTL, expect, test } from "./fixtures.js";

test.use({ stackOptions: { dpop: false } });

test("GWO_DPOP=off: Bearer tokens without a proof; calls, the stream and a refresh work; a copied token works elsewhere", async ({
  signIn,
  stack,
}) => {
  expect(stack.dpop).toBe(false);
  const page = await signIn("reader");
  await expect(byId(page, "dpop-badge")).toBeHidden();
  const seen = recordApiCalls(page, stack.apiUrl);
  expect(await callAndWait(page, "btn-whoami")).toBe("OK");
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  expect(await watchStream(page, 3, 50)).toBe("OK");
  expect(seen.length).toBe(3);
  for (const s of seen) {
    expect(s.authorization).toMatch(/^Bearer ey/);
    expect(s.dpop).toBe("");
  }
  const token = seen[0]!.authorization.slice("Bearer ".length);
  const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
  expect(claims.cnf).toBeUndefined();

  // Out of the page, with no key at all: accepted (what DPoP prevents, dpop.spec.ts test 2).
  const copied = await rawGrpcWebCall({
    origin: stack.apiUrl,
    ca: readFileSync(stack.pki.ca.cert),
    path: new URL(seen[0]!.url).pathname,
    message: new Uint8Array(),
    headers: { authorization: `Bearer ${token}` },
  });
  expect(copied.grpcStatus).toBe(0);

  // Past the renew window the next call refreshes first, still without a proof.
  const grants = stack.idp.stats.refreshGrants;
  await page.waitForTimeout((DEFAULT_TTL - stack.renewWindow + 1) * 1000);
  expect(await callAndWait(page, "btn-list")).toBe("OK");
  await expect.poll(() => countLog(page, '[data-event="refresh-done"]')).toBeGreaterThanOrEqual(1);
  expect(stack.idp.stats.refreshGrants).toBeGreaterThan(grants);
  expect(stack.idp.stats.refreshReuse).toBe(0);
  expect(seen.at(-1)?.authorization).toMatch(/^Bearer ey/);
  expect(seen.at(-1)?.authorization).not.toBe(seen[0]?.authorization);
});
