import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLIENT_ID,
  IdpConfigError,
  resolveTokenTtl,
  startIdp,
  withConsentForOfflineAccess,
} from "../../demo/idp/server.js";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { HttpSession, signIn } from "../helpers/oidc-flow.js";

const REDIRECT = "https://localhost:5998/callback";
let dir: string;
let pki: DevPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-cfg-"));
  pki = ensureDevPki(dir);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("access-token TTL", () => {
  it("defaults to 300 s and refuses values at or below the client's renew window", () => {
    const saved = { ttl: process.env.GWO_TOKEN_TTL, win: process.env.GWO_RENEW_WINDOW };
    delete process.env.GWO_TOKEN_TTL;
    delete process.env.GWO_RENEW_WINDOW;
    try {
      expect(resolveTokenTtl()).toBe(300);
      expect(resolveTokenTtl(61)).toBe(61);
      expect(() => resolveTokenTtl(60)).toThrow(IdpConfigError);
      expect(() => resolveTokenTtl(30)).toThrow(/renew window/);
      expect(resolveTokenTtl(5, 2)).toBe(5);
      expect(() => resolveTokenTtl(2, 2)).toThrow(IdpConfigError);
      expect(() => resolveTokenTtl(1.5, 0)).toThrow(IdpConfigError);
      process.env.GWO_TOKEN_TTL = "900";
      expect(resolveTokenTtl()).toBe(900);
      process.env.GWO_TOKEN_TTL = "abc";
      expect(() => resolveTokenTtl()).toThrow(/GWO_TOKEN_TTL/);
    } finally {
      for (const [k, v] of [
        ["GWO_TOKEN_TTL", saved.ttl],
        ["GWO_RENEW_WINDOW", saved.win],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("startIdp refuses a TTL the client cannot live with", async () => {
    await expect(startIdp({ pki, accessTokenTtl: 30, redirectUris: [REDIRECT] })).rejects.toThrow(
      IdpConfigError,
    );
  });

  it("issues access tokens with the configured TTL", async () => {
    const idp = await startIdp({
      pki,
      accessTokenTtl: 7,
      renewWindow: 2,
      redirectUris: [REDIRECT],
      log: () => {},
    });
    try {
      const t = await signIn({
        issuer: idp.issuer,
        ca: readFileSync(pki.ca.cert),
        redirectUri: REDIRECT,
        login: "reader",
        password: "reader",
      });
      expect(t.expires_in).toBe(7);
      const claims = decodeJwt(t.access_token);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(7);
    } finally {
      await idp.close();
    }
  });

  it("refuses non-https redirect URIs", async () => {
    await expect(startIdp({ pki, redirectUris: ["http://localhost:1/cb"] })).rejects.toThrow(
      /https/,
    );
  });
});

describe("offline_access without prompt", () => {
  const auth = (q: Record<string, string>) => `/auth?${new URLSearchParams(q)}`;

  it("is treated as prompt=consent for the demo client", () => {
    const out = withConsentForOfflineAccess(
      auth({ client_id: CLIENT_ID, scope: "openid offline_access" }),
      "GET",
    );
    expect(new URL(out, "https://x").searchParams.get("prompt")).toBe("consent");
  });

  it("leaves explicit prompts, other clients, other scopes and other paths alone", () => {
    const cases = [
      auth({ client_id: CLIENT_ID, scope: "openid offline_access", prompt: "none" }),
      auth({ client_id: "other", scope: "openid offline_access" }),
      auth({ client_id: CLIENT_ID, scope: "openid" }),
      "/token?client_id=grpc-web-oidc-demo&scope=offline_access",
    ];
    for (const url of cases) expect(withConsentForOfflineAccess(url, "GET")).toBe(url);
  });
});

describe("close", () => {
  it("is idempotent and frees the port", async () => {
    const idp = await startIdp({ pki, redirectUris: [REDIRECT], log: () => {} });
    await Promise.all([idp.close(), idp.close()]);
    await idp.close();
    const http = new HttpSession(readFileSync(pki.ca.cert));
    try {
      await expect(http.request(`${idp.issuer}/jwks`)).rejects.toThrow();
    } finally {
      await http.close();
    }
  });
});
