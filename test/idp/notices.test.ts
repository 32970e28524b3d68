/**
 * The demo IdP prints nothing of oidc-provider's own through a whole session (sign-in,
 * refresh, revocation): its "default … function called, you SHOULD change it" development
 * notices would land in the middle of `npm run demo`'s banner.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CLIENT_ID, type Idp, startIdp } from "../../demo/idp/server.js";
import { ensureDevPki } from "../../demo/pki.js";
import { HttpSession, refreshTokens, signIn } from "../helpers/oidc-flow.js";

const REDIRECT = "https://localhost:5999/";
let dir: string;
let idp: Idp;
let ca: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-idp-notices-"));
  const pki = ensureDevPki(dir);
  ca = readFileSync(pki.ca.cert);
  idp = await startIdp({ pki, port: 0, redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("demo IdP console output", () => {
  it("has no oidc-provider notice or warning after sign-in, refresh and revocation", async () => {
    const printed: string[] = [];
    const spies = (["log", "info", "warn", "error"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(" "));
      }),
    );
    const http = new HttpSession(ca);
    try {
      const opts = { issuer: idp.issuer, ca, redirectUri: REDIRECT };
      const t = await signIn({ ...opts, login: "writer", password: "writer" });
      const r = await refreshTokens(http, idp.issuer, t.refresh_token ?? "");
      expect(r.status).toBe(200);
      const rev = await http.postForm(`${idp.issuer}/token/revocation`, {
        token: r.body.refresh_token ?? "",
        token_type_hint: "refresh_token",
        client_id: CLIENT_ID,
      });
      expect(rev.status).toBe(200);
      expect((await refreshTokens(http, idp.issuer, r.body.refresh_token ?? "")).status).toBe(400);
    } finally {
      await http.close();
      for (const s of spies) s.mockRestore();
    }
    expect(printed.filter((p) => p.includes("oidc-provider"))).toEqual([]);
  });
});
