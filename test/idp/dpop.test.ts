/**
 * The demo IdP with DPoP (RFC 9449 §5): the public SPA client must prove a key at the
 * token endpoint; its access tokens are JWTs bound to that key (`cnf.jkt`, token_type
 * DPoP) and its refresh token works only with a proof by the same key.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Idp, startIdp } from "../../demo/idp/server.js";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { HttpSession, refreshTokens, type SignInOptions, signIn } from "../helpers/oidc-flow.js";
import { type ProofKey, proofKey, tokenRequestProof } from "../server/helpers/dpop-proof.js";

const REDIRECT = "https://localhost:5998/callback";
let dir: string;
let pki: DevPki;
let idp: Idp;
let http: HttpSession;
let key: ProofKey;
let other: ProofKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-dpop-"));
  pki = ensureDevPki(dir);
  idp = await startIdp({ pki, port: 0, redirectUris: [REDIRECT], dpop: true, log: () => {} });
  http = new HttpSession(readFileSync(pki.ca.cert));
  key = await proofKey();
  other = await proofKey();
});
afterAll(async () => {
  await http?.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const as = (login: string, extra: Partial<SignInOptions> = {}): SignInOptions => ({
  issuer: idp.issuer,
  ca: readFileSync(pki.ca.cert),
  redirectUri: REDIRECT,
  login,
  password: login,
  ...extra,
});
const proofBy = (k: ProofKey) => (htu: string) => tokenRequestProof(k, htu);

describe("demo IdP with dpop: true", () => {
  it("issues DPoP-bound JWT access tokens (cnf.jkt = the proof key's thumbprint)", async () => {
    const tokens = await signIn(as("reader", { dpop: proofBy(key) }));
    expect(tokens.token_type).toBe("DPoP");
    const jwks = createLocalJWKSet(
      (await (await http.request(idp.jwksUri)).json()) as JSONWebKeySet,
    );
    const { payload } = await jwtVerify(tokens.access_token, jwks, { typ: "at+jwt" });
    expect(payload.cnf).toEqual({ jkt: key.jkt });
    expect(tokens.refresh_token).toBeTruthy();
  });

  it("refuses a token request without a proof (dpop_bound_access_tokens)", async () => {
    await expect(signIn(as("reader"))).rejects.toThrow(/token request failed: HTTP 400/);
  });

  it("binds the refresh token: only a proof by the same key refreshes it", async () => {
    const tokens = await signIn(as("reader", { dpop: proofBy(key) }));
    const rt = tokens.refresh_token ?? "";
    const htu = `${idp.issuer}/token`;
    const none = await refreshTokens(http, idp.issuer, rt);
    expect(none.status).toBe(400);
    const foreign = await refreshTokens(http, idp.issuer, rt, undefined, {
      dpop: await tokenRequestProof(other, htu),
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe("invalid_grant");
    const own = await refreshTokens(http, idp.issuer, rt, undefined, {
      dpop: await tokenRequestProof(key, htu),
    });
    expect(own.status).toBe(200);
    expect(own.body.token_type).toBe("DPoP");
  });

  it("refuses a replayed token-request proof", async () => {
    const tokens = await signIn(as("reader", { dpop: proofBy(key) }));
    const proof = await tokenRequestProof(key, `${idp.issuer}/token`);
    const first = await refreshTokens(http, idp.issuer, tokens.refresh_token ?? "", undefined, {
      dpop: proof,
    });
    expect(first.status).toBe(200);
    const again = await refreshTokens(http, idp.issuer, first.body.refresh_token ?? "", undefined, {
      dpop: proof,
    });
    expect(again.status).toBe(400);
  });
});
