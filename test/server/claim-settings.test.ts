/**
 * The backend kit's side of the one set of claim settings: required claim values (Keycloak's
 * payload `typ`), dotted roles claims, and JWKS discovery with backoff instead of a guessed path.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { ClaimSettingsError, resolveClaimSettings } from "../../src/access/index.js";
import {
  createJwtVerifier,
  jwtVerifierOptions,
  TokenRejectedError,
} from "../../src/server/index.js";
import { AUDIENCE, startTokenIssuer, type TokenIssuer } from "./helpers/token-issuer.js";

let dir: string;
let pki: DevPki;
let issuer: TokenIssuer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-claims-"));
  pki = ensureDevPki(join(dir, "pki"));
  issuer = await startTokenIssuer(pki);
});
afterAll(async () => {
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(TokenRejectedError);
    return (err as TokenRejectedError).reason;
  }
}

/** Keycloak's shape: header typ JWT, payload typ Bearer (ID tokens: "ID"), realm_access.roles. */
const keycloakToken = (typ: string | undefined, aud: string = AUDIENCE) =>
  issuer.mint(
    {
      sub: "admin",
      scope: "openid notes.read",
      realm_access: { roles: ["admin", "offline_access"] },
      ...(typ === undefined ? {} : { typ }),
    },
    { header: { typ: "JWT" }, aud },
  );

describe("claim settings in the backend kit", () => {
  it("requires claim values: Keycloak's ID token (typ ID) is refused even with the right audience", async () => {
    const v = createJwtVerifier({
      ...jwtVerifierOptions({
        issuer: issuer.issuer,
        audiences: [AUDIENCE, "spa-client"],
        rolesClaim: "realm_access.roles",
        requiredClaims: { typ: "Bearer" },
      }),
      jwksUri: issuer.jwksUri,
      jwksCa: readFileSync(pki.ca.cert),
    });
    const principal = await v.verify(await keycloakToken("Bearer"));
    expect(principal.roles).toEqual(["admin", "offline_access"]);
    expect(principal.scopes).toEqual(["openid", "notes.read"]);
    // An ID token's audience is the client id, which an operator may well list.
    expect(await reason(v.verify(await keycloakToken("ID", "spa-client")))).toBe("invalid-claim");
    expect(await reason(v.verify(await keycloakToken(undefined)))).toBe("missing-claim");
    expect(await reason(v.verify(await keycloakToken("bearer")))).toBe("invalid-claim");
  });

  it("without required claims the same ID token would pass: the setting is what keeps it out", async () => {
    const v = createJwtVerifier({
      ...jwtVerifierOptions({ issuer: issuer.issuer, audiences: [AUDIENCE, "spa-client"] }),
      jwksUri: issuer.jwksUri,
      jwksCa: readFileSync(pki.ca.cert),
    });
    expect(await reason(v.verify(await keycloakToken("ID", "spa-client")))).toBe("accepted");
  });

  it("applies defaults and names the bad field", () => {
    expect(resolveClaimSettings({ issuer: "https://i", audiences: ["a"] })).toEqual({
      issuer: "https://i",
      audiences: ["a"],
      tokenType: undefined,
      scopeClaim: "scope",
      rolesClaim: "roles",
      requiredClaims: {},
      clockSkewSeconds: 30,
    });
    const bad = (s: object) => () =>
      resolveClaimSettings({ issuer: "https://i", audiences: ["a"], ...s });
    expect(bad({ audiences: [] })).toThrow(ClaimSettingsError);
    expect(bad({ rolesClaim: "realm_access..roles" })).toThrow(/rolesClaim/);
    expect(bad({ requiredClaims: { typ: "" } })).toThrow(/requiredClaims\.typ/);
    expect(bad({ clockSkewSeconds: 301 })).toThrow(/clockSkewSeconds/);
    expect(bad({ tokenType: "at jwt" })).toThrow(/tokenType/);
  });
});

describe("JWKS discovery", () => {
  const discovering = () =>
    createJwtVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksCa: readFileSync(pki.ca.cert),
    });

  it("finds the JWKS through the issuer's discovery document (here /certs, not /jwks), once", async () => {
    issuer.setDiscovery("ok");
    const before = issuer.discoveries();
    const v = discovering();
    for (let i = 0; i < 5; i++) await v.verify(await issuer.user("reader"));
    expect(issuer.discoveries() - before).toBe(1);
  });

  it("while discovery fails, tokens are jwks-unavailable and it is retried after a backoff, then recovers", async () => {
    issuer.setDiscovery("down");
    const before = issuer.discoveries();
    const v = discovering();
    const token = await issuer.user("reader");
    expect(await reason(v.verify(token))).toBe("jwks-unavailable");
    // 20 more calls inside the first 1 s backoff cost no discovery request.
    for (let i = 0; i < 20; i++) expect(await reason(v.verify(token))).toBe("jwks-unavailable");
    expect(issuer.discoveries() - before).toBe(1);
    issuer.setDiscovery("ok");
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await reason(v.verify(token))).toBe("accepted");
    expect(issuer.discoveries() - before).toBe(2);
  });

  it("refuses a discovery document that names another issuer", async () => {
    issuer.setDiscovery("wrong-issuer");
    try {
      expect(await reason(discovering().verify(await issuer.user("reader")))).toBe(
        "jwks-unavailable",
      );
    } finally {
      issuer.setDiscovery("ok");
    }
  });
});
