/**
 * The DPoP attack matrix against the backend's own listeners (mTLS gRPC as the gateway
 * sees it, and the gRPC-Web development listener as a browser sees it), on a unary and a
 * server-streaming method: every case is UNAUTHENTICATED, logged with the reason the
 * case aims at, and never with the token or the proof. Positive controls prove the
 * same requests succeed when nothing is wrong.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DenialRecord } from "../../src/server/index.js";
import {
  ATTACKS,
  type AttackContext,
  type AttackHeaders,
  validHeaders,
} from "../helpers/dpop-attacks.js";
import { rawGrpcWebCall } from "../helpers/grpc-web-raw.js";
import { makeProof, type ProofKey, proofKey } from "./helpers/dpop-proof.js";
import { type Fixture, leakedSecrets, startFixture } from "./helpers/fixture.js";
import { type GrpcClients, grpcClients } from "./helpers/grpc-client.js";
import { USERS } from "./helpers/token-issuer.js";

const UNAUTHENTICATED = 16;
const GATEWAY_ORIGIN = "https://api.gateway.test";
let fx: Fixture;
let grpc: GrpcClients;
let key: ProofKey;
/** Every proof and header value sent, for the log check. */
const sent = new Set<string>();

beforeAll(async () => {
  fx = await startFixture({ dpop: {} });
  fx.backend.setGatewayOrigin(GATEWAY_ORIGIN);
  grpc = grpcClients(fx.backend.mtlsPort, { ca: fx.pki.meshCa.cert, identity: fx.pki.gateway });
  key = await proofKey();
});
afterAll(async () => {
  grpc?.close();
  await fx?.close();
});

type Listener = "mtls" | "web";
const METHODS = {
  WhoAmI: { request: {}, frame: new Uint8Array() },
  WatchNotes: { request: { count: 2, intervalMs: 0 }, frame: new Uint8Array([0x08, 0x02]) },
} as const;
type Method = keyof typeof METHODS;

interface Outcome {
  code: number;
  messages: number;
  /** Response metadata a client can read (headers + trailers). */
  meta: Record<string, unknown>;
}

async function call(listener: Listener, method: Method, h: AttackHeaders): Promise<Outcome> {
  for (const v of [h.authorization ?? "", ...(h.dpop ?? [])]) if (v) sent.add(v);
  const headers: Record<string, string | string[]> = {};
  if (h.authorization !== undefined) headers.authorization = h.authorization;
  if (h.dpop) headers.dpop = h.dpop;
  if (listener === "mtls") {
    const r =
      method === "WhoAmI"
        ? await grpc.unary("notes", method, METHODS[method].request, headers)
        : await grpc.stream("notes", method, METHODS[method].request, headers);
    return { code: r.code, messages: r.messages.length, meta: r.trailers ?? {} };
  }
  const r = await rawGrpcWebCall({
    origin: `https://localhost:${fx.backend.webPort}`,
    ca: readFileSync(fx.pki.ca.cert),
    path: `/demo.v1.NotesService/${method}`,
    message: METHODS[method].frame,
    headers,
  });
  return { code: r.grpcStatus, messages: r.messages, meta: { ...r.headers, ...r.trailers } };
}

function context(listener: Listener, method: Method): AttackContext {
  const origin = listener === "mtls" ? GATEWAY_ORIGIN : `https://localhost:${fx.backend.webPort}`;
  return {
    key,
    method,
    token: () => boundToken(fx, key),
    unboundToken: () => fx.issuer.user("reader"),
    htu: (m) => `${origin}/demo.v1.NotesService/${m}`,
    foreignOrigin: listener === "mtls" ? `https://localhost:${fx.backend.webPort}` : GATEWAY_ORIGIN,
    send: async (h) => (await call(listener, method, h)).code,
  };
}

/** A reader token bound to `k`; the jti makes every token distinct. */
const boundToken = (f: Fixture, k: ProofKey) =>
  f.issuer.mint({ ...USERS.reader, roles: [], jti: randomUUID(), cnf: { jkt: k.jkt } });

function lastAuthnDenial(): DenialRecord | undefined {
  return fx.records.filter((r): r is DenialRecord => (r as DenialRecord).layer === "authn").at(-1);
}

describe.each(["mtls", "web"] as const)("DPoP attacks on the %s listener", (listener) => {
  for (const method of Object.keys(METHODS) as Method[]) {
    describe(method, () => {
      it("control: a bound token with a fresh proof is accepted", async () => {
        const r = await call(listener, method, await validHeaders(context(listener, method)));
        expect(r.code).toBe(0);
        expect(r.messages).toBeGreaterThan(0);
      });
      it('refuses the lower-case scheme `dpop`, as the gateway does (README "Token acceptance")', async () => {
        const r = await call(
          listener,
          method,
          await validHeaders(context(listener, method), "dpop"),
        );
        expect(r.code).toBe(16); // UNAUTHENTICATED
      });
      for (const attack of ATTACKS) {
        it(`refuses ${attack.name}`, async () => {
          const headers = await attack.headers(context(listener, method));
          const before = fx.records.length;
          const r = await call(listener, method, headers);
          expect(r.code).toBe(UNAUTHENTICATED);
          expect(r.messages).toBe(0);
          expect(fx.records.length).toBeGreaterThan(before);
          const denial = lastAuthnDenial();
          expect(denial?.method).toBe(`/demo.v1.NotesService/${method}`);
          expect(attack.reasons).toContain(denial?.reason);
          // The client is told which scheme to use and what was wrong (RFC 9449 §7.1).
          expect(String(r.meta["www-authenticate"])).toMatch(/^DPoP (error="[a-z_]+", )?algs="/);
        });
      }
    });
  }
});

describe("server nonces (RFC 9449 §9)", () => {
  let nfx: Fixture;
  beforeAll(async () => {
    nfx = await startFixture({ dpop: { nonceSecret: new Uint8Array(32).fill(7) } });
  });
  afterAll(async () => {
    await nfx?.close();
  });

  it("answers a proof without nonce with use_dpop_nonce and a DPoP-Nonce, then accepts the retry", async () => {
    const origin = `https://localhost:${nfx.backend.webPort}`;
    const htu = `${origin}/demo.v1.NotesService/WhoAmI`;
    const token = await boundToken(nfx, key);
    const send = async (nonce?: string) =>
      rawGrpcWebCall({
        origin,
        ca: readFileSync(nfx.pki.ca.cert),
        path: "/demo.v1.NotesService/WhoAmI",
        message: new Uint8Array(),
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await makeProof(key, { htu, token, ...(nonce ? { nonce } : {}) }),
        },
      });
    const first = await send();
    expect(first.grpcStatus).toBe(UNAUTHENTICATED);
    const meta = { ...first.headers, ...first.trailers };
    expect(meta["www-authenticate"]).toBe(
      'DPoP error="use_dpop_nonce", algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"',
    );
    const nonce = meta["dpop-nonce"];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const retry = await send(nonce);
    expect(retry.grpcStatus).toBe(0);
    expect(nfx.records.map((r) => (r as DenialRecord).reason)).toContain("dpop-nonce-required");
  });
});

describe("Bearer allowed beside DPoP (allowBearer, a migration period)", () => {
  let bfx: Fixture;
  beforeAll(async () => {
    bfx = await startFixture({ dpop: { allowBearer: true } });
  });
  afterAll(async () => {
    await bfx?.close();
  });
  const whoAmI = async (authorization: string) =>
    rawGrpcWebCall({
      origin: `https://localhost:${bfx.backend.webPort}`,
      ca: readFileSync(bfx.pki.ca.cert),
      path: "/demo.v1.NotesService/WhoAmI",
      message: new Uint8Array(),
      headers: { authorization },
    });

  it("accepts an unbound Bearer token", async () => {
    expect((await whoAmI(`Bearer ${await bfx.issuer.user("reader")}`)).grpcStatus).toBe(0);
  });
  it("refuses a DPoP-bound token sent as Bearer (no downgrade, RFC 9449 §7.2)", async () => {
    const r = await whoAmI(`Bearer ${await boundToken(bfx, key)}`);
    expect(r.grpcStatus).toBe(UNAUTHENTICATED);
    expect({ ...r.headers, ...r.trailers }["www-authenticate"]).toMatch(
      /^Bearer error="invalid_token", DPoP algs="/,
    );
    const last = bfx.records.at(-1) as DenialRecord;
    expect(last.reason).toBe("token-bound-to-key");
  });
});

describe("without the dpop option (Bearer only)", () => {
  it("still refuses a DPoP-bound token sent as Bearer, and the DPoP scheme", async () => {
    const plain = await startFixture();
    try {
      const bound = await boundToken(plain, key);
      const whoAmI = (authorization: string) =>
        plain.webClient().whoAmI({}, { headers: { authorization } });
      await expect(whoAmI(`Bearer ${bound}`)).rejects.toMatchObject({ code: UNAUTHENTICATED });
      expect((plain.records.at(-1) as DenialRecord).reason).toBe("token-bound-to-key");
      await expect(whoAmI(`DPoP ${bound}`)).rejects.toMatchObject({ code: UNAUTHENTICATED });
      expect((plain.records.at(-1) as DenialRecord).reason).toBe("wrong-scheme");
      await expect(whoAmI(`Bearer ${await plain.issuer.user("reader")}`)).resolves.toBeDefined();
    } finally {
      await plain.close();
    }
  });
});

describe("CORS on the development listener with dpop", () => {
  it("lets the browser send the proof and read the nonce and the challenge", async () => {
    const { request } = await import("node:https");
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const r = request(
        `https://localhost:${fx.backend.webPort}/demo.v1.NotesService/WhoAmI`,
        {
          method: "OPTIONS",
          ca: readFileSync(fx.pki.ca.cert),
          headers: {
            origin: "https://localhost:5173",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,dpop,x-grpc-web",
          },
        },
        (res) => {
          res.resume();
          resolve(res.headers);
        },
      );
      r.on("error", reject);
      r.end();
    });
    expect(String(headers["access-control-allow-headers"]).split(", ")).toContain("dpop");
    const actual = await rawGrpcWebCall({
      origin: `https://localhost:${fx.backend.webPort}`,
      ca: readFileSync(fx.pki.ca.cert),
      path: "/demo.v1.NotesService/WhoAmI",
      message: new Uint8Array(),
      headers: { origin: "https://localhost:5173" },
    });
    expect(String(actual.headers["access-control-expose-headers"]).split(", ")).toEqual(
      expect.arrayContaining(["dpop-nonce", "www-authenticate"]),
    );
  });
});

describe("logs", () => {
  it("every refusal is a structured record without a token or a proof", () => {
    const denials = fx.records.filter((r) => (r as DenialRecord).event === "denied");
    expect(denials.length).toBeGreaterThanOrEqual(ATTACKS.length * 4);
    for (const d of denials) {
      expect(Object.keys(d).sort()).toEqual(
        ["code", "event", "layer", "method", "peer", "reason", "time"].sort(),
      );
    }
    expect(sent.size).toBeGreaterThan(100);
    expect(leakedSecrets(fx.records, [...sent, ...fx.issuer.minted])).toEqual([]);
  });
});
