/**
 * The DPoP attack matrix, independent of the path under test (the backend's own
 * listeners, or Envoy in front of it): each case builds the `authorization` and `DPoP`
 * headers of one request and names the denial reason(s) the verifier must log.
 */
import { createHmac, randomBytes } from "node:crypto";
import {
  makeProof,
  nowSeconds,
  type ProofKey,
  proofKey,
  rawProof,
} from "../server/helpers/dpop-proof.js";

/** What a case may use: the caller's key, its bound token, and the URI of a method. */
export interface AttackContext {
  /** The key the tokens of `token()` are bound to. */
  key: ProofKey;
  /** A fresh access token bound to `key` (`cnf.jkt`), different from every earlier one. */
  token(): Promise<string>;
  /** A fresh valid token without `cnf`. */
  unboundToken(): Promise<string>;
  /** The `htu` of a method of the service under test, e.g. `htu("WhoAmI")`. */
  htu(method: string): string;
  /** An origin that is not the one under test. */
  foreignOrigin: string;
  /** The method being called. */
  method: string;
  /**
   * Makes one call with exactly these headers and resolves to its gRPC status code
   * (used by the replay case, which first spends the proof).
   */
  send(headers: AttackHeaders): Promise<number>;
}

export interface AttackHeaders {
  authorization?: string;
  /** Each value is sent as a header line of its own. */
  dpop?: string[];
}

export interface AttackCase {
  name: string;
  headers(c: AttackContext): Promise<AttackHeaders>;
  /** Denial reasons the verifier may log (first: the one expected on a faithful path). */
  reasons: string[];
}

const other = await proofKey("ES256");

const proofFor = (
  c: AttackContext,
  token: string,
  o: Partial<Parameters<typeof makeProof>[1]> = {},
) => makeProof(c.key, { htu: c.htu(c.method), token, ...o });

export const ATTACKS: AttackCase[] = [
  {
    name: "replayed proof",
    async headers(c) {
      const token = await c.token();
      const headers = { authorization: `DPoP ${token}`, dpop: [await proofFor(c, token)] };
      if ((await c.send(headers)) !== 0) throw new Error("the first use of the proof failed");
      return headers;
    },
    reasons: ["dpop-replayed"],
  },
  {
    name: "proof for another method",
    async headers(c) {
      const token = await c.token();
      const htu = c.htu(c.method === "GetNote" ? "WhoAmI" : "GetNote");
      return { authorization: `DPoP ${token}`, dpop: [await proofFor(c, token, { htu })] };
    },
    reasons: ["dpop-htu-mismatch"],
  },
  {
    name: "proof for another origin",
    async headers(c) {
      const token = await c.token();
      const htu = `${c.foreignOrigin}${new URL(c.htu(c.method)).pathname}`;
      return { authorization: `DPoP ${token}`, dpop: [await proofFor(c, token, { htu })] };
    },
    reasons: ["dpop-htu-mismatch"],
  },
  {
    name: "proof for another HTTP method (htm GET)",
    async headers(c) {
      const token = await c.token();
      return { authorization: `DPoP ${token}`, dpop: [await proofFor(c, token, { htm: "GET" })] };
    },
    reasons: ["dpop-htm-mismatch"],
  },
  {
    name: "wrong ath (proof made for another token)",
    async headers(c) {
      const [token, previous] = [await c.token(), await c.token()];
      return { authorization: `DPoP ${token}`, dpop: [await proofFor(c, previous)] };
    },
    reasons: ["dpop-ath-mismatch"],
  },
  {
    name: "another key (stolen token, attacker's own key)",
    async headers(c) {
      const token = await c.token();
      const dpop = await makeProof(other, { htu: c.htu(c.method), token });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-key-mismatch"],
  },
  {
    name: "stale iat (5 minutes old)",
    async headers(c) {
      const token = await c.token();
      const dpop = await proofFor(c, token, { iat: nowSeconds() - 300 });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-iat-stale"],
  },
  {
    name: "future iat (5 minutes ahead)",
    async headers(c) {
      const token = await c.token();
      const dpop = await proofFor(c, token, { iat: nowSeconds() + 300 });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-iat-future"],
  },
  {
    name: "missing proof",
    async headers(c) {
      return { authorization: `DPoP ${await c.token()}` };
    },
    reasons: ["dpop-proof-missing"],
  },
  {
    name: "two proofs",
    async headers(c) {
      const token = await c.token();
      return {
        authorization: `DPoP ${token}`,
        dpop: [await proofFor(c, token), await proofFor(c, token)],
      };
    },
    // A proxy or client library may join repeated headers with a comma.
    reasons: ["dpop-multiple-proofs", "dpop-malformed"],
  },
  {
    name: "alg none",
    async headers(c) {
      const token = await c.token();
      const claims = { jti: "n", htm: "POST", htu: c.htu(c.method), iat: nowSeconds() };
      const dpop = rawProof(
        { typ: "dpop+jwt", alg: "none", jwk: c.key.jwk },
        { ...claims, ath: "x" },
        "AA",
      );
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-alg-not-allowed"],
  },
  {
    name: "symmetric proof (HS256 with an oct jwk)",
    async headers(c) {
      const token = await c.token();
      const secret = randomBytes(32);
      const header = {
        typ: "dpop+jwt",
        alg: "HS256",
        jwk: { kty: "oct", k: secret.toString("base64url") },
      };
      const claims = { jti: "h", htm: "POST", htu: c.htu(c.method), iat: nowSeconds(), ath: "x" };
      const input = rawProof(header, claims, "").slice(0, -1);
      const sig = createHmac("sha256", secret).update(input).digest("base64url");
      return { authorization: `DPoP ${token}`, dpop: [`${input}.${sig}`] };
    },
    reasons: ["dpop-alg-not-allowed"],
  },
  {
    name: "private key in the proof's jwk",
    async headers(c) {
      const token = await c.token();
      const dpop = await proofFor(c, token, { header: { jwk: c.key.privateJwk } });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-jwk-invalid"],
  },
  {
    name: "typ JWT instead of dpop+jwt",
    async headers(c) {
      const token = await c.token();
      const dpop = await proofFor(c, token, { header: { typ: "JWT" } });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-wrong-type"],
  },
  {
    name: "oversized proof (6 KB)",
    async headers(c) {
      const token = await c.token();
      const dpop = await proofFor(c, token, { claims: { pad: "x".repeat(6000) } });
      return { authorization: `DPoP ${token}`, dpop: [dpop] };
    },
    reasons: ["dpop-proof-too-large"],
  },
  {
    name: "downgrade: a DPoP-bound token sent as Bearer",
    async headers(c) {
      return { authorization: `Bearer ${await c.token()}` };
    },
    // Where only DPoP is accepted the scheme alone is refused; with Bearer allowed too,
    // the token's `cnf` is (see the allowBearer tests).
    reasons: ["wrong-scheme", "token-bound-to-key"],
  },
  {
    name: "downgrade: bound token as Bearer with a valid proof alongside",
    async headers(c) {
      const token = await c.token();
      return { authorization: `Bearer ${token}`, dpop: [await proofFor(c, token)] };
    },
    reasons: ["wrong-scheme", "token-bound-to-key"],
  },
  {
    name: "an unbound token with the DPoP scheme and a valid proof",
    async headers(c) {
      const token = await c.unboundToken();
      return { authorization: `DPoP ${token}`, dpop: [await proofFor(c, token)] };
    },
    reasons: ["dpop-key-mismatch"],
  },
  {
    name: "an unbound Bearer token where DPoP is required",
    async headers(c) {
      return { authorization: `Bearer ${await c.unboundToken()}` };
    },
    reasons: ["wrong-scheme"],
  },
];

/** The positive control: a bound token with a fresh, valid proof. */
export async function validHeaders(c: AttackContext, scheme = "DPoP"): Promise<AttackHeaders> {
  const token = await c.token();
  return { authorization: `${scheme} ${token}`, dpop: [await proofFor(c, token)] };
}
