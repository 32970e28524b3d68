/**
 * createDpopVerifier on its own, one test per check of RFC 9449 §4.3: each case
 * breaks exactly one thing in an otherwise valid proof and expects that check's code,
 * so removing a check makes its case fail (the proof would pass, or fail later with
 * another code).
 */
import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createDpopNonces,
  createDpopVerifier,
  type DpopErrorCode,
  DpopProofError,
  type DpopRequest,
  type DpopVerifier,
  type DpopVerifierOptions,
} from "../../src/server/index.js";
import { makeProof, nowSeconds, type ProofKey, proofKey, rawProof } from "./helpers/dpop-proof.js";

const ORIGIN = "https://api.example.com";
const PATH = "/demo.v1.NotesService/GetNote";
const HTU = `${ORIGIN}${PATH}`;
const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyZWFkZXIifQ.c2lnbmF0dXJl";

const key = await proofKey("ES256");
const other = await proofKey("ES256");

function verifier(o: Partial<DpopVerifierOptions> = {}): DpopVerifier {
  return createDpopVerifier({ origin: ORIGIN, ...o });
}

function request(proof: string | string[], o: Partial<DpopRequest> = {}): DpopRequest {
  return {
    proofs: typeof proof === "string" ? [proof] : proof,
    method: "POST",
    path: PATH,
    accessToken: TOKEN,
    boundKey: key.jkt,
    ...o,
  };
}

async function outcome(v: DpopVerifier, r: DpopRequest): Promise<DpopErrorCode | "accepted"> {
  try {
    await v.verify(r);
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(DpopProofError);
    // Neither the proof nor the token is ever part of the error.
    expect((err as Error).message).toMatch(/^DPoP proof rejected: ERR_DPOP_[A-Z_]+$/);
    return (err as DpopProofError).code;
  }
}

const proof = (o: Partial<Parameters<typeof makeProof>[1]> = {}, k: ProofKey = key) =>
  makeProof(k, { htu: HTU, token: TOKEN, ...o });

describe("a valid proof", () => {
  it.each(["ES256", "ES384", "PS256", "RS256", "EdDSA"])("is accepted with %s", async (alg) => {
    const k = await proofKey(alg);
    const v = verifier();
    expect(await outcome(v, request(await proof({}, k), { boundKey: k.jkt }))).toBe("accepted");
  });

  it("ignores the query of htu and normalises scheme, host case, default port and %-encoding", async () => {
    const v = verifier();
    for (const htu of [
      `${HTU}?x=1#frag`,
      `HTTPS://API.Example.COM:443${PATH}`,
      `${ORIGIN}/demo.v1.NotesService/Get%4eote`,
    ]) {
      expect(await outcome(v, request(await proof({ htu })))).toBe("accepted");
    }
  });

  it("returns the key thumbprint", async () => {
    const result = await verifier().verify(request(await proof()));
    expect(result.thumbprint).toBe(key.jkt);
  });
});

describe("§4.3 (1) one DPoP header, size-capped before parsing", () => {
  it("refuses a request without a proof", async () => {
    expect(await outcome(verifier(), request([]))).toBe("ERR_DPOP_PROOF_MISSING");
  });
  it("refuses two DPoP headers, even if both are valid", async () => {
    const two = [await proof(), await proof()];
    expect(await outcome(verifier(), request(two))).toBe("ERR_DPOP_MULTIPLE_PROOFS");
  });
  it("refuses an oversized proof without parsing it", async () => {
    const big = await proof({ claims: { pad: "x".repeat(5000) } });
    expect(await outcome(verifier(), request(big))).toBe("ERR_DPOP_PROOF_TOO_LARGE");
    // Garbage of that size is refused for its size, not for its shape.
    expect(await outcome(verifier(), request("!".repeat(5000)))).toBe("ERR_DPOP_PROOF_TOO_LARGE");
    expect(await outcome(verifier({ maxProofLength: 8192 }), request(big))).toBe("accepted");
  });
});

describe("§4.3 (2) a single well-formed JWT", () => {
  it.each([
    ["two parts", "eyJhIjoxfQ.eyJiIjoyfQ"],
    ["four parts", "eyJhIjoxfQ.eyJiIjoyfQ.c2ln.c2ln"],
    ["a header that is not JSON", "bm90IGpzb24.eyJiIjoyfQ.c2ln"],
    ["a payload that is a JSON array", rawProof({ typ: "dpop+jwt" }, [1, 2], "c2ln")],
    ["JWE-like spaces", "a b.c.d"],
  ])("refuses %s", async (_name, value) => {
    expect(await outcome(verifier(), request(value))).toBe("ERR_DPOP_MALFORMED");
  });
  it("refuses an unknown crit header (jose refuses to process it)", async () => {
    const p = await proof({ header: { crit: ["urn:x"], "urn:x": 1 } });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_MALFORMED");
  });
});

describe("§4.3 (3) the required claims", () => {
  it.each(["jti", "htm", "htu", "iat", "ath"])("refuses a proof without %s", async (claim) => {
    const p = await proof({ claims: { [claim]: undefined } });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_CLAIM_INVALID");
  });
  it("refuses claims of the wrong type and a jti longer than the cap", async () => {
    for (const claims of [
      { iat: String(nowSeconds()) },
      { jti: 7 },
      { jti: "" },
      { jti: "j".repeat(129) },
    ]) {
      expect(await outcome(verifier(), request(await proof({ claims })))).toBe(
        "ERR_DPOP_CLAIM_INVALID",
      );
    }
  });
});

describe("§4.3 (4) typ dpop+jwt", () => {
  it.each([["JWT"], ["at+jwt"], [undefined]])("refuses typ %s", async (typ) => {
    const p = await proof({ header: { typ } });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_WRONG_TYPE");
  });
  it("accepts the media-type spelling application/dpop+jwt", async () => {
    const p = await proof({ header: { typ: "application/DPoP+JWT" } });
    expect(await outcome(verifier(), request(p))).toBe("accepted");
  });
});

describe("§4.3 (5) asymmetric alg on the allow-list", () => {
  it("refuses alg none", async () => {
    const claims = { jti: "n1", htm: "POST", htu: HTU, iat: nowSeconds(), ath: "x" };
    const p = rawProof({ typ: "dpop+jwt", alg: "none", jwk: key.jwk }, claims, "c2ln");
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_ALG_NOT_ALLOWED");
  });
  it("refuses an HMAC proof keyed with a symmetric jwk", async () => {
    const secret = randomBytes(32);
    const claims = { jti: "h1", htm: "POST", htu: HTU, iat: nowSeconds(), ath: "x" };
    const header = {
      typ: "dpop+jwt",
      alg: "HS256",
      jwk: { kty: "oct", k: secret.toString("base64url") },
    };
    const input = rawProof(header, claims, "").slice(0, -1);
    const sig = createHmac("sha256", secret).update(input).digest("base64url");
    expect(await outcome(verifier(), request(`${input}.${sig}`))).toBe("ERR_DPOP_ALG_NOT_ALLOWED");
  });
  it("refuses an asymmetric alg the verifier was not configured for", async () => {
    const rsa = await proofKey("RS256");
    const v = verifier({ algorithms: ["ES256"] });
    expect(await outcome(v, request(await proof({}, rsa), { boundKey: rsa.jkt }))).toBe(
      "ERR_DPOP_ALG_NOT_ALLOWED",
    );
  });
  it("refuses to be configured with none or HMAC", () => {
    expect(() => verifier({ algorithms: ["HS256"] })).toThrow(TypeError);
    expect(() => verifier({ algorithms: ["none"] })).toThrow(TypeError);
    expect(() => verifier({ algorithms: [] })).toThrow(TypeError);
  });
});

describe("§4.3 (7) a public key in jwk, nothing private", () => {
  it("refuses a jwk that carries the private key", async () => {
    const p = await proof({ header: { jwk: key.privateJwk } });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_JWK_INVALID");
  });
  it.each([
    ["no jwk", undefined],
    ["a jwk that is a string", "key"],
    ["a jwk without a required member", { kty: "EC", crv: "P-256", x: "AA" }],
    ["a jwk of unknown kty", { kty: "XYZ", x: "AA" }],
    ["a jwk whose coordinates are not on the curve", { kty: "EC", crv: "P-256", x: "AA", y: "AA" }],
  ])("refuses %s", async (_name, jwk) => {
    const p = await proof({ header: { jwk } });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_JWK_INVALID");
  });
});

describe("§4.3 (6) the signature verifies with the header's jwk", () => {
  it("refuses a proof signed by another key than the one it names", async () => {
    const p = await proof({ signWith: other });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_BAD_SIGNATURE");
  });
  it("refuses a proof whose claims were changed after signing", async () => {
    const [h, , s] = (await proof()).split(".");
    const forged = rawProof(
      {},
      { jti: "f", htm: "POST", htu: HTU, iat: nowSeconds(), ath: "x" },
      "",
    );
    const p = `${h}.${forged.split(".")[1]}.${s}`;
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_BAD_SIGNATURE");
  });
});

describe("§4.3 (8) htm", () => {
  it("refuses a proof made for another method", async () => {
    expect(await outcome(verifier(), request(await proof({ htm: "GET" })))).toBe(
      "ERR_DPOP_HTM_MISMATCH",
    );
    expect(await outcome(verifier(), request(await proof({ htm: "post" })))).toBe(
      "ERR_DPOP_HTM_MISMATCH",
    );
  });
});

describe("§4.3 (9) htu = configured origin + request path", () => {
  it.each([
    ["another RPC method", `${ORIGIN}/demo.v1.NotesService/DeleteNote`],
    ["another origin", `https://evil.example.com${PATH}`],
    ["another port", `https://api.example.com:8443${PATH}`],
    ["http instead of https", `http://api.example.com${PATH}`],
    ["user info", `https://user@api.example.com${PATH}`],
    ["not a URL", "not a url"],
    ["a trailing slash", `${HTU}/`],
  ])("refuses %s", async (_name, htu) => {
    expect(await outcome(verifier(), request(await proof({ htu })))).toBe("ERR_DPOP_HTU_MISMATCH");
  });
  it("accepts any of several configured origins, and only those", async () => {
    const v = verifier({ origin: [ORIGIN, "https://localhost:8443"] });
    const local = await proof({ htu: `https://localhost:8443${PATH}` });
    expect(await outcome(v, request(local))).toBe("accepted");
    expect(
      await outcome(verifier(), request(await proof({ htu: `https://localhost:8443${PATH}` }))),
    ).toBe("ERR_DPOP_HTU_MISMATCH");
  });
  it("refuses an origin option that is not scheme://host[:port]", () => {
    expect(() => verifier({ origin: "https://api.example.com/base" })).toThrow(TypeError);
    expect(() => verifier({ origin: "api.example.com" })).toThrow(TypeError);
    expect(() => verifier({ origin: [] })).toThrow(TypeError);
  });
});

describe("§4.3 (10) server nonce", () => {
  const secret = randomBytes(32);
  let clock = 1_800_000_000_000;
  const nonces = createDpopNonces({ secret, now: () => clock });
  const v = verifier({ nonces, now: () => clock });
  const at = () => Math.floor(clock / 1000);

  it("asks for a nonce when the proof has none (use_dpop_nonce)", async () => {
    const err = await v.verify(request(await proof({ iat: at() }))).catch((e: DpopProofError) => e);
    expect(err).toMatchObject({ code: "ERR_DPOP_NONCE_REQUIRED", challenge: "use_dpop_nonce" });
    expect(v.currentNonce()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
  it("refuses a nonce it did not issue, or one two steps old", async () => {
    const foreign = createDpopNonces({ secret: randomBytes(32), now: () => clock }).current();
    expect(await outcome(v, request(await proof({ iat: at(), nonce: foreign })))).toBe(
      "ERR_DPOP_NONCE_INVALID",
    );
    const old = nonces.current();
    clock += 120_000;
    expect(await outcome(v, request(await proof({ iat: at(), nonce: old })))).toBe(
      "ERR_DPOP_NONCE_INVALID",
    );
  });
  it("accepts the current nonce and the one of the previous step", async () => {
    const n = nonces.current();
    expect(await outcome(v, request(await proof({ iat: at(), nonce: n })))).toBe("accepted");
    clock += 60_000;
    expect(await outcome(v, request(await proof({ iat: at(), nonce: n })))).toBe("accepted");
    expect(nonces.current()).not.toBe(n);
  });
});

describe("§4.3 (11) iat within the window (60 s + 30 s tolerance back, 30 s ahead)", () => {
  it("refuses a stale proof and accepts one just inside the window", async () => {
    expect(await outcome(verifier(), request(await proof({ iat: nowSeconds() - 95 })))).toBe(
      "ERR_DPOP_IAT_STALE",
    );
    expect(await outcome(verifier(), request(await proof({ iat: nowSeconds() - 85 })))).toBe(
      "accepted",
    );
  });
  it("refuses a proof from the future and accepts one within the skew", async () => {
    expect(await outcome(verifier(), request(await proof({ iat: nowSeconds() + 35 })))).toBe(
      "ERR_DPOP_IAT_FUTURE",
    );
    expect(await outcome(verifier(), request(await proof({ iat: nowSeconds() + 25 })))).toBe(
      "accepted",
    );
  });
});

describe("§4.3 (12) bound to the access token and to its key", () => {
  it("refuses a proof made for another access token (ath)", async () => {
    const p = await proof({ token: "another.access.token" });
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_ATH_MISMATCH");
  });
  it("refuses a proof by a key the token is not bound to (cnf.jkt)", async () => {
    const p = await proof({}, other);
    expect(await outcome(verifier(), request(p))).toBe("ERR_DPOP_KEY_MISMATCH");
  });
  it("refuses a proof when the token is not bound at all", async () => {
    const p = await proof();
    expect(await outcome(verifier(), request(p, { boundKey: undefined }))).toBe(
      "ERR_DPOP_KEY_MISMATCH",
    );
  });
});

describe("§11.1 replay", () => {
  it("refuses the same proof twice", async () => {
    const v = verifier();
    const p = await proof();
    expect(await outcome(v, request(p))).toBe("accepted");
    expect(await outcome(v, request(p))).toBe("ERR_DPOP_REPLAYED");
  });
  it("keeps ids per key: another key may reuse a jti", async () => {
    const v = verifier();
    expect(await outcome(v, request(await proof({ jti: "same" })))).toBe("accepted");
    const p = await proof({ jti: "same" }, other);
    expect(await outcome(v, request(p, { boundKey: other.jkt }))).toBe("accepted");
  });
  it("refuses new proofs while the cache is full of live ids, and refused proofs take no slot", async () => {
    const v = verifier({ maxReplayEntries: 2 });
    expect(await outcome(v, request(await proof({ htm: "GET" })))).toBe("ERR_DPOP_HTM_MISMATCH");
    expect(await outcome(v, request(await proof()))).toBe("accepted");
    expect(await outcome(v, request(await proof()))).toBe("accepted");
    const err = await v.verify(request(await proof())).catch((e: DpopProofError) => e);
    expect(err).toMatchObject({ code: "ERR_DPOP_REPLAY_CACHE_FULL", retryable: true });
  });
  it("forgets ids once their proofs would be stale anyway", async () => {
    let clock = Date.now();
    const v = verifier({ maxReplayEntries: 1, now: () => clock });
    const at = () => Math.floor(clock / 1000);
    expect(await outcome(v, request(await proof({ iat: at() })))).toBe("accepted");
    clock += 121_000;
    expect(await outcome(v, request(await proof({ iat: at() })))).toBe("accepted");
  });
});
