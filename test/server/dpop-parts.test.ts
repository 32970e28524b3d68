/** The parts of the DPoP verifier on their own: thumbprints, htu normalisation, nonces, replay cache. */
import { randomBytes } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import {
  createDpopNonces,
  createReplayCache,
  dpopChallenge,
  jwkThumbprint,
  normalizeOrigin,
  parseHtu,
} from "../../src/server/index.js";

describe("jwkThumbprint (RFC 7638)", () => {
  it("matches the RFC 7638 §3.1 example", () => {
    const jwk = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });
  it.each(["ES256", "ES384", "EdDSA", "PS256"])("agrees with jose for %s keys", async (alg) => {
    const jwk = await exportJWK((await generateKeyPair(alg, { extractable: true })).publicKey);
    expect(jwkThumbprint(jwk as Record<string, unknown>)).toBe(await calculateJwkThumbprint(jwk));
  });
  it("has no thumbprint for incomplete or unknown keys", () => {
    expect(jwkThumbprint({ kty: "EC", crv: "P-256", x: "AA" })).toBeUndefined();
    expect(jwkThumbprint({ kty: "oct", k: "AA" })).toBeUndefined();
    expect(jwkThumbprint({ kty: "RSA", n: 5, e: "AQAB" })).toBeUndefined();
  });
});

describe("htu parsing (RFC 3986 §6.2.2, §6.2.3)", () => {
  it("normalises scheme, host, default port, dot segments and unreserved %-encodings", () => {
    expect(parseHtu("HTTPS://Api.Example.com:443/a/../x.Y/%4D%2f?q#f")).toEqual({
      origin: "https://api.example.com",
      path: "/x.Y/M%2F",
    });
  });
  it("refuses non-http schemes and user info", () => {
    expect(parseHtu("wss://api.example.com/x")).toBeUndefined();
    expect(parseHtu("https://u:p@api.example.com/x")).toBeUndefined();
    expect(parseHtu("/relative")).toBeUndefined();
  });
  it("accepts configured origins only as scheme://host[:port]", () => {
    expect(normalizeOrigin("https://API.example.com:443/")).toBe("https://api.example.com");
    for (const bad of ["https://a/b", "https://a?x", "ftp://a", "https://u@a", "a"]) {
      expect(() => normalizeOrigin(bad)).toThrow(TypeError);
    }
  });
});

describe("createDpopNonces", () => {
  it("accepts this step's and the previous step's nonce, nothing older and nothing foreign", () => {
    let t = 1_700_000_000_000;
    const secret = randomBytes(32);
    const a = createDpopNonces({ secret, now: () => t });
    const b = createDpopNonces({ secret, now: () => t });
    const n0 = a.current();
    expect(b.check(n0)).toBe(true); // instances sharing the secret agree
    t += 60_000;
    expect(a.check(n0)).toBe(true);
    t += 60_000;
    expect(a.check(n0)).toBe(false);
    expect(createDpopNonces({ secret: randomBytes(32), now: () => t }).check(a.current())).toBe(
      false,
    );
    expect(a.check("x")).toBe(false);
  });
  it("refuses a secret shorter than 32 bytes", () => {
    expect(() => createDpopNonces({ secret: randomBytes(16) })).toThrow(TypeError);
  });
});

describe("createReplayCache", () => {
  it("remembers ids for the TTL, then forgets them", () => {
    let t = 0;
    const cache = createReplayCache({ ttlMs: 1000, now: () => t });
    expect(cache.add("a")).toBe("added");
    expect(cache.add("a")).toBe("replayed");
    t = 999;
    expect(cache.add("a")).toBe("replayed");
    t = 1000;
    expect(cache.add("a")).toBe("added");
  });
  it("holds at most maxEntries live ids and refuses rather than forgets", () => {
    let t = 0;
    const cache = createReplayCache({ ttlMs: 1000, maxEntries: 1000, now: () => t });
    for (let i = 0; i < 1000; i++) expect(cache.add(`id${i}`)).toBe("added");
    expect(cache.add("one-more")).toBe("full");
    expect(cache.add("id0")).toBe("replayed"); // still remembered
    expect(cache.size()).toBe(1000);
    t = 1000;
    expect(cache.add("one-more")).toBe("added");
    expect(cache.size()).toBe(1);
  });
});

describe("dpopChallenge (RFC 9449 §7.1, §7.2)", () => {
  const algorithms = ["ES256", "PS256"];
  it("names no error without credentials, and the tried scheme's error otherwise", () => {
    expect(dpopChallenge({ algorithms, bearer: false })).toBe('DPoP algs="ES256 PS256"');
    expect(
      dpopChallenge({
        algorithms,
        bearer: false,
        failed: { scheme: "dpop", error: "invalid_dpop_proof" },
      }),
    ).toBe('DPoP error="invalid_dpop_proof", algs="ES256 PS256"');
    expect(dpopChallenge({ algorithms, bearer: true })).toBe('Bearer, DPoP algs="ES256 PS256"');
    expect(
      dpopChallenge({
        algorithms,
        bearer: true,
        failed: { scheme: "bearer", error: "invalid_token" },
      }),
    ).toBe('Bearer error="invalid_token", DPoP algs="ES256 PS256"');
  });
});
