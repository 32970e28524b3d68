/**
 * The demo IdP's signing-key rotation (used by `npm run soak`): a new key is published first
 * and not used, then used for every token while the old one stays published; a grant made
 * before the rotation refreshes across it; every JWKS request is logged with its `via`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Idp, startIdp } from "../../demo/idp/server.js";
import { ensureDevPki } from "../../demo/pki.js";
import { HttpSession, refreshTokens, signIn } from "../helpers/oidc-flow.js";

const REDIRECT = "https://localhost:5999/callback";
let dir: string;
let ca: Buffer;
let idp: Idp;
let http: HttpSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-keys-"));
  const pki = ensureDevPki(dir);
  ca = readFileSync(pki.ca.cert);
  idp = await startIdp({ pki, port: 0, accessTokenTtl: 120, redirectUris: [REDIRECT] });
  http = new HttpSession(ca);
});
afterAll(async () => {
  await http?.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kids = async (via: string) => {
  const res = await http.request(`${idp.jwksUri}?via=${via}`);
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
};
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe("signing-key rotation at the demo IdP", () => {
  it("publishes the next key without using it, then signs with it; the old key stays published", async () => {
    const t = await signIn({
      issuer: idp.issuer,
      ca,
      redirectUri: REDIRECT,
      login: "writer",
      password: "writer",
    });
    const [first] = await kids("test");
    expect(kidOf(t.access_token)).toBe(first);

    const next = idp.publishNextKey();
    expect(await kids("test")).toEqual([first, next]);
    const before = await refreshTokens(http, idp.issuer, t.refresh_token as string);
    expect(before.status).toBe(200);
    expect(kidOf(before.body.access_token)).toBe(first);

    expect(idp.signWithNewestKey()).toBe(next);
    expect(await kids("test")).toEqual([next, first]);
    // The grant made before the rotation survives it.
    const after = await refreshTokens(http, idp.issuer, before.body.refresh_token as string);
    expect(after.status).toBe(200);
    expect(kidOf(after.body.access_token)).toBe(next);

    expect(idp.stats.jwksRequests.filter((r) => r.via === "test")).toHaveLength(3);
  });
});
