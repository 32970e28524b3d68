/**
 * The demo IdP with DPoP (RFC 9449 §5): the public SPA client must prove a key at the
 * token endpoint; its access tokens are JWTs bound to that key (`cnf.jkt`, token_type
 * DPoP) and its refresh token works only with a proof by the same key. The requirement is the SPA
 * client's own: session mode's confidential gateway client (Envoy's oauth2 filter, which sends no
 * proof) signs in and refreshes with plain Bearer tokens from the same IdP.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_CLIENT_ID, type Idp, startIdp } from "../../demo/idp/server.js";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import {
  authorize,
  HttpSession,
  refreshTokens,
  type SignInOptions,
  signIn,
  type TokenResponse,
} from "../helpers/oidc-flow.js";
import { type ProofKey, proofKey, tokenRequestProof } from "../server/helpers/dpop-proof.js";

const REDIRECT = "https://localhost:5998/callback";
/** Session mode's gateway callback (Envoy's oauth2 filter). */
const GATEWAY_CALLBACK = "https://localhost:5999/oauth2/callback";
let dir: string;
let pki: DevPki;
let idp: Idp;
let http: HttpSession;
let key: ProofKey;
let other: ProofKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-dpop-"));
  pki = ensureDevPki(dir);
  idp = await startIdp({
    pki,
    port: 0,
    redirectUris: [REDIRECT],
    dpop: true,
    gatewayClient: {
      secretFile: pki.secrets.gatewayClientSecret,
      redirectUris: [GATEWAY_CALLBACK],
      postLogoutRedirectUris: [REDIRECT],
    },
    log: () => {},
  });
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

describe("demo IdP with dpop: true and session mode's gateway client", () => {
  /** The gateway's side of the flow: its secret (client_secret_basic), no DPoP proof. */
  const gatewayBasic = () =>
    `Basic ${Buffer.from(`${GATEWAY_CLIENT_ID}:${readFileSync(pki.secrets.gatewayClientSecret, "utf8").trim()}`).toString("base64")}`;

  it("issues the confidential gateway client unbound Bearer tokens without a proof, and refreshes them without one", async () => {
    const o = as("writer", { clientId: GATEWAY_CLIENT_ID, redirectUri: GATEWAY_CALLBACK });
    const session = new HttpSession(readFileSync(pki.ca.cert));
    try {
      const { callback, codeVerifier } = await authorize(o, session);
      const code = callback.searchParams.get("code") ?? "";
      const tokens = await session.postForm<TokenResponse>(
        `${idp.issuer}/token`,
        {
          grant_type: "authorization_code",
          code,
          redirect_uri: GATEWAY_CALLBACK,
          code_verifier: codeVerifier,
        },
        { authorization: gatewayBasic() },
      );
      expect(tokens.status).toBe(200);
      expect(tokens.body.token_type).toBe("Bearer");
      const claims = JSON.parse(
        Buffer.from(tokens.body.access_token.split(".")[1] ?? "", "base64url").toString(),
      ) as Record<string, unknown>;
      expect(claims.cnf).toBeUndefined();
      const refreshed = await session.postForm<TokenResponse>(
        `${idp.issuer}/token`,
        { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token ?? "" },
        { authorization: gatewayBasic() },
      );
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.token_type).toBe("Bearer");
    } finally {
      await session.close();
    }
  });

  it("still refuses the SPA client's token request without a proof on the same IdP", async () => {
    await expect(signIn(as("writer"))).rejects.toThrow(/token request failed: HTTP 400/);
  });
});
