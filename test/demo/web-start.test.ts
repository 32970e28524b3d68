/**
 * The web app's starter (demo/web/start.ts) without a browser: it serves the built app over
 * HTTPS with the development certificate, the runtime configuration at /config.json, and
 * security headers that keep the page's network access to the IdP and the API.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { startWebApp, type WebApp } from "../../demo/web/start.js";
import { httpsGet } from "../helpers/https-get.js";

let pki: DevPki;
let web: WebApp;

beforeAll(async () => {
  pki = ensureDevPki(mkdtempSync(join(tmpdir(), "gwo-web-pki-")));
  web = await startWebApp({ pki, port: 0 });
});

afterAll(async () => {
  await web?.close();
});

const get = (path: string) => httpsGet(`${web.url}${path}`, pki.ca.cert);

describe("startWebApp (static mode)", () => {
  it("listens on an ephemeral port, on https://localhost, with the dev certificate", () => {
    expect(web.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(web.port).toBeGreaterThan(0);
  });

  it("answers 503 for /config.json until the configuration is set, then serves it with defaults", async () => {
    expect((await get("/config.json")).status).toBe(503);
    web.setConfig({
      authority: "https://localhost:1",
      apiUrl: "https://localhost:2",
      tokenTtl: 20,
    });
    const res = await get("/config.json");
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(res.body)).toEqual({
      authority: "https://localhost:1",
      apiUrl: "https://localhost:2",
      clientId: "grpc-web-oidc-demo",
      redirectUri: `${web.url}/`,
      scope: "openid offline_access notes.read notes.write",
      resource: "https://api.grpc-web-oidc.local",
      storage: "local",
      tokenTtl: 20,
    });
  });

  it("serves the app for any extension-less path, with a CSP limited to the IdP and the API", async () => {
    const res = await get("/some/route?code=x");
    expect(res.status).toBe(200);
    expect(res.body).toContain('data-testid="event-log"');
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' https://localhost:1 https://localhost:2");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("sends https://127.0.0.1:<port>/… to the app's own origin (where the sign-in state lives)", async () => {
    const res = await httpsGet(
      `https://127.0.0.1:${web.port}/some/route?code=x&state=y`,
      pki.ca.cert,
    );
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`${web.url}/some/route?code=x&state=y`);
    expect((await get("/")).status).toBe(200);
  });

  it("never serves files outside the build folder", async () => {
    const paths = [
      "/../../package.json",
      "/%2e%2e/%2e%2e/package.json",
      "/..%2fstart.ts",
      "/%E0%A4%A",
    ];
    for (const path of paths) {
      const res = await get(path);
      expect(res.body).not.toContain('"name": "grpc-web-oidc"');
      expect(res.status === 400 || res.status === 404 || res.body.includes("<!doctype html>")).toBe(
        true,
      );
    }
  });
});
