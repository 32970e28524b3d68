/** createJwtVerifier on its own: JWKS caching, refetch on unknown kid, cooldown, options. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCa, type DevPki, ensureDevPki } from "../../demo/pki.js";
import { createJwtVerifier, TokenRejectedError } from "../../src/server/index.js";
import { AUDIENCE, startTokenIssuer, type TokenIssuer } from "./helpers/token-issuer.js";

let dir: string;
let pki: DevPki;
let issuer: TokenIssuer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-verifier-"));
  pki = ensureDevPki(join(dir, "pki"));
  issuer = await startTokenIssuer(pki);
});
afterAll(async () => {
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

const verifier = (o: { cooldown?: number; ca?: string } = {}) =>
  createJwtVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    jwksCa: readFileSync(o.ca ?? pki.ca.cert),
    ...(o.cooldown !== undefined ? { jwksCooldownMs: o.cooldown } : {}),
  });

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(TokenRejectedError);
    // The message never carries the token.
    expect((err as Error).message).toMatch(/^access token rejected: [a-z-]+$/);
    return (err as TokenRejectedError).reason;
  }
}

describe("createJwtVerifier", () => {
  it("verifies over HTTPS against the given CA and caches the JWKS", async () => {
    const v = verifier();
    const start = issuer.fetches();
    const p = await v.verify(await issuer.user("admin"));
    expect(p).toMatchObject({ subject: "admin", roles: ["admin"] });
    expect(p.scopes).toContain("notes.write");
    await v.verify(await issuer.user("reader"));
    await v.verify(await issuer.user("reader", { key: "ec" }));
    expect(issuer.fetches() - start).toBe(1);
  });

  it("refetches on an unknown kid once the cooldown allows, and then knows the new key", async () => {
    const cooled = verifier(); // default cooldown: 30 s
    const eager = verifier({ cooldown: 0 });
    await cooled.verify(await issuer.user("reader"));
    await eager.verify(await issuer.user("reader"));
    const rotated = await issuer.mint({ sub: "x" }, { key: "rogue", kid: "rogue-1" });
    expect(await reason(eager.verify(rotated))).toBe("unknown-key");

    await issuer.publishRogue();
    let start = issuer.fetches();
    expect(await reason(cooled.verify(rotated))).toBe("unknown-key");
    expect(issuer.fetches() - start).toBe(0); // within the cooldown: no fetch storm

    start = issuer.fetches();
    expect(await reason(eager.verify(rotated))).toBe("accepted");
    expect(issuer.fetches() - start).toBe(1);
  });

  it("fails closed when the JWKS endpoint is not trusted", async () => {
    const other = createCa(join(dir, "other"), "other", "untrusted");
    const v = verifier({ ca: other.cert });
    expect(await reason(v.verify(await issuer.user("reader")))).toBe("jwks-unavailable");
  });

  it("refuses unsafe options", () => {
    const base = { issuer: "https://i", audience: "a", jwksUri: "https://i/jwks" };
    expect(() => createJwtVerifier({ ...base, algorithms: ["HS256"] })).toThrow(TypeError);
    expect(() => createJwtVerifier({ ...base, algorithms: ["none"] })).toThrow(TypeError);
    expect(() => createJwtVerifier({ ...base, algorithms: [] })).toThrow(TypeError);
    expect(() => createJwtVerifier({ ...base, jwksUri: "http://i/jwks" })).toThrow(TypeError);
    expect(() => createJwtVerifier({ ...base, audience: [] })).toThrow(TypeError);
    expect(() => createJwtVerifier({ ...base, issuer: "" })).toThrow(TypeError);
  });

  it("checks typ when asked (RFC 9068 at+jwt)", async () => {
    const v = createJwtVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      jwksCa: readFileSync(pki.ca.cert),
      typ: "at+jwt",
    });
    const idToken = await issuer.user("reader", { header: { typ: "JWT" } });
    expect(await reason(v.verify(idToken))).toBe("wrong-type");
    const untyped = await issuer.user("reader", { header: { typ: undefined } });
    expect(await reason(v.verify(untyped))).toBe("wrong-type");
    const at = await issuer.user("reader", { header: { typ: "application/at+jwt" } });
    expect(await reason(v.verify(at))).toBe("accepted");
  });
});
