/** The verified-token cache: what it saves, and each thing it must never do. */
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatedPrincipal } from "../../src/server/context.js";
import {
  createJwtVerifier,
  createVerifiedTokenCache,
  TokenRejectedError,
  tokenDigest,
} from "../../src/server/index.js";
import { createJwksKeys } from "../../src/server/jwks-keys.js";
import { type Fixture, startFixture } from "./helpers/fixture.js";

const ISSUER = "https://idp.test";
const AUDIENCE = "https://api.test";

let signing: CryptoKey;
let published: JSONWebKeySet;
beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  signing = pair.privateKey;
  published = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] };
});

/** A key resolver over a JWKS that the test can change, as a JWKS refetch would. */
function keySet(jwks: () => JSONWebKeySet) {
  let current = jwks();
  let set = createLocalJWKSet(current);
  const resolve: JWTVerifyGetKey = (header, input) => {
    if (jwks() !== current) {
      current = jwks();
      set = createLocalJWKSet(current);
    }
    return set(header, input);
  };
  return resolve;
}

const mint = (claims: { sub?: string; exp?: number } = {}) =>
  new SignJWT({ scope: "notes.read" })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub ?? "alice")
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300)
    .sign(signing);

/** A verify function that counts its calls and answers a principal (or refuses). */
function countingVerify(refuse = false) {
  const calls = { n: 0 };
  const verify = async (token: string): Promise<AuthenticatedPrincipal> => {
    calls.n++;
    if (refuse) throw new TokenRejectedError("bad-signature");
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    return {
      subject: claims.sub,
      scopes: ["notes.read"],
      roles: [],
      claims,
      expiresAt: claims.exp,
    } as AuthenticatedPrincipal;
  };
  return { calls, verify };
}

describe("verified-token cache", () => {
  it("verifies a token once for 1,000 concurrent calls and 1,000 calls after them", async () => {
    const cache = createVerifiedTokenCache(keySet(() => published));
    const { calls, verify } = countingVerify();
    const token = await mint();
    const first = await Promise.all(
      Array.from({ length: 1000 }, () => cache.verify(token, verify)),
    );
    for (let i = 0; i < 1000; i++) await cache.verify(token, verify);
    expect(calls.n).toBe(1);
    expect(new Set(first.map((p) => p.subject))).toEqual(new Set(["alice"]));
  });

  it("holds at most maxEntries tokens, dropping the least recently used first", async () => {
    const cache = createVerifiedTokenCache(
      keySet(() => published),
      { maxEntries: 3 },
    );
    const { calls, verify } = countingVerify();
    const [t1, t2, t3, t4] = await Promise.all(["a", "b", "c", "d"].map((sub) => mint({ sub })));
    for (const t of [t1!, t2!, t3!]) await cache.verify(t, verify);
    await cache.verify(t1!, verify); // t1 is now the most recently used; t2 the least
    await cache.verify(t4!, verify);
    expect(cache.size).toBe(3);
    expect(calls.n).toBe(4);
    await cache.verify(t1!, verify);
    await cache.verify(t3!, verify);
    expect(calls.n).toBe(4); // still cached
    await cache.verify(t2!, verify);
    expect(calls.n).toBe(5); // t2 had been dropped
    expect(cache.size).toBe(3);
  });

  it("keys entries by the token's SHA-256 digest and holds no part of the token as a key", async () => {
    const cache = createVerifiedTokenCache(keySet(() => published));
    const { verify } = countingVerify();
    const tokens = await Promise.all(["a", "b"].map((sub) => mint({ sub })));
    for (const t of tokens) await cache.verify(t, verify);
    expect(cache.keys()).toEqual(tokens.map(tokenDigest));
    for (const key of cache.keys()) {
      for (const t of tokens) for (const part of t.split(".")) expect(key).not.toContain(part);
    }
  });

  it("never trusts an entry at or after the token's exp", async () => {
    let now = 1_000_000_000_000;
    const exp = now / 1000 + 60;
    const cache = createVerifiedTokenCache(
      keySet(() => published),
      { now: () => now },
    );
    const { calls, verify } = countingVerify();
    const token = await mint({ exp });
    await cache.verify(token, verify);
    now = exp * 1000 - 1;
    await cache.verify(token, verify);
    expect(calls.n).toBe(1);
    now = exp * 1000;
    await cache.verify(token, verify);
    expect(calls.n).toBe(2);
  });

  it("never trusts an entry longer than maxAgeMs, however long the token lives", async () => {
    let now = 1_000_000_000_000;
    const cache = createVerifiedTokenCache(
      keySet(() => published),
      {
        now: () => now,
        maxAgeMs: 1000,
      },
    );
    const { calls, verify } = countingVerify();
    const token = await mint({ exp: now / 1000 + 3600 });
    await cache.verify(token, verify);
    now += 999;
    await cache.verify(token, verify);
    expect(calls.n).toBe(1);
    now += 1;
    await cache.verify(token, verify);
    expect(calls.n).toBe(2);
  });

  it("drops an entry as soon as its key leaves the JWKS, or is replaced under the same kid", async () => {
    let jwks = published;
    const cache = createVerifiedTokenCache(keySet(() => jwks));
    const { calls, verify } = countingVerify();
    const token = await mint();
    await cache.verify(token, verify);
    await cache.verify(token, verify);
    expect(calls.n).toBe(1);
    jwks = { keys: [] }; // the IdP retired the key, and the verifier's key set knows it
    await cache.verify(token, verify);
    expect(calls.n).toBe(2);
    const other = await generateKeyPair("ES256");
    jwks = { keys: [{ ...(await exportJWK(other.publicKey)), kid: "k1", alg: "ES256" }] };
    await cache.verify(token, verify);
    expect(calls.n).toBe(3);
  });

  it("with a remote key set, a hit is the same fresh JWKS; a refetch or a stale set re-checks", async () => {
    let jwks = published;
    let fresh = true;
    let lookups = 0;
    const inner = keySet(() => jwks);
    const remote = Object.defineProperties(
      (h: Parameters<JWTVerifyGetKey>[0], i: Parameters<JWTVerifyGetKey>[1]) => {
        lookups++;
        return inner(h, i);
      },
      { jwks: { value: () => jwks }, fresh: { get: () => fresh } },
    );
    const cache = createVerifiedTokenCache(remote);
    const { calls, verify } = countingVerify();
    const token = await mint();
    await cache.verify(token, verify);
    const afterMiss = lookups;
    for (let i = 0; i < 100; i++) await cache.verify(token, verify);
    expect(lookups).toBe(afterMiss); // hits look nothing up
    fresh = false; // past its cache age: the full re-check (which makes jose refetch)
    await cache.verify(token, verify);
    expect(lookups).toBe(afterMiss + 1);
    expect(calls.n).toBe(1);
    fresh = true;
    jwks = { keys: [] }; // refetched without the key
    await cache.verify(token, verify);
    expect(calls.n).toBe(2);
  });

  it("with the kit's own remote key set (createJwksKeys), hits look nothing up until the JWKS is fetched again", async () => {
    let fetches = 0;
    const keys = createJwksKeys({
      url: new URL("https://idp.test/jwks"),
      cooldownMs: 0,
      fetch: async () => {
        fetches++;
        return new Response(JSON.stringify(published), {
          headers: { "content-type": "application/json" },
        });
      },
    });
    let lookups = 0;
    const counted = Object.defineProperties(
      (h: Parameters<JWTVerifyGetKey>[0], i: Parameters<JWTVerifyGetKey>[1]) => {
        lookups++;
        return keys.getKey(h, i);
      },
      {
        jwks: { value: () => (keys.getKey as unknown as { jwks(): unknown }).jwks() },
        fresh: { get: () => (keys.getKey as unknown as { fresh: boolean }).fresh },
      },
    );
    const cache = createVerifiedTokenCache(counted);
    const { calls, verify } = countingVerify();
    const token = await mint();
    await cache.verify(token, verify);
    const afterMiss = lookups;
    for (let i = 0; i < 100; i++) await cache.verify(token, verify);
    expect(lookups).toBe(afterMiss); // the same set, still fresh: no key lookup
    expect(calls.n).toBe(1);
    expect(fetches).toBe(1);
    // A token with a kid the set lacks makes jose fetch the JWKS again (cooldown 0 here):
    // another set may be in use now, so the next hit checks its key again.
    const unknownKid = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k2" })
      .setExpirationTime("5m")
      .sign(signing);
    await cache.verify(unknownKid, verify);
    expect(fetches).toBe(2);
    const beforeHit = lookups;
    await cache.verify(token, verify);
    expect(lookups).toBeGreaterThan(beforeHit);
  });

  it("does not cache refused tokens", async () => {
    const cache = createVerifiedTokenCache(keySet(() => published));
    const { calls, verify } = countingVerify(true);
    const token = await mint();
    for (let i = 0; i < 3; i++) {
      await expect(cache.verify(token, verify)).rejects.toBeInstanceOf(TokenRejectedError);
    }
    expect(calls.n).toBe(3);
    expect(cache.size).toBe(0);
  });

  it("in createJwtVerifier: a token accepted (and cached) is refused once its key leaves the JWKS", async () => {
    let jwks = published;
    const verifier = createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: keySet(() => jwks),
    });
    const token = await mint();
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "alice" });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "alice" });
    jwks = { keys: [] };
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: "unknown-key" });
  });
});

describe("verified-token cache in the backend", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it("still authorizes every call of a cached token", async () => {
    const client = f.webClient();
    const headers = { authorization: `Bearer ${await f.issuer.user("reader")}` };
    for (let i = 0; i < 3; i++) {
      await expect(client.whoAmI({}, { headers })).resolves.toMatchObject({ subject: "reader" });
      await expect(client.purgeNotes({}, { headers })).rejects.toMatchObject({ code: 7 });
    }
    const denials = f.records.filter(
      (r) =>
        (r as { layer?: string }).layer === "authz" && JSON.stringify(r).includes("PurgeNotes"),
    );
    expect(denials).toHaveLength(3);
  });
});
