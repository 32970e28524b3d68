/**
 * DPoP through the real gateway: browser-shaped gRPC-Web → Envoy (the generated config
 * with `dpop`) → ext_authz to the backend kit's verifier over mTLS → the backend. The
 * same attack matrix as on the backend's own listeners: every case UNAUTHENTICATED at
 * the gateway (the backend never sees the call), logged by the verifier without the
 * token or the proof; positive controls for unary and streaming calls, CORS for the
 * DPoP headers, and fail-closed when the verifier is unreachable.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import {
  type Backend,
  type BackendDpopOptions,
  startBackend,
} from "../../../demo/server/server.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { type DenialRecord, UNAUTHENTICATED_MESSAGE } from "../../../src/server/index.js";
import { repoRoot } from "../../helpers/buf.js";
import {
  ATTACKS,
  type AttackContext,
  type AttackHeaders,
  validHeaders,
} from "../../helpers/dpop-attacks.js";
import { rawGrpcWebCall } from "../../helpers/grpc-web-raw.js";
import { makeProof, type ProofKey, proofKey } from "../../server/helpers/dpop-proof.js";
import { leakedSecrets } from "../../server/helpers/fixture.js";
import { startTokenIssuer, type TokenIssuer, USERS } from "../../server/helpers/token-issuer.js";

const bin = findEnvoy(repoRoot);
const UNAUTHENTICATED = 16;
const WEB_ORIGIN = "https://localhost:5173";

let dir: string;
let pki: DevPki;
let issuer: TokenIssuer;
let backend: Backend;
let envoy: RunningEnvoy;
let key: ProofKey;
const records: object[] = [];
const envoyLog: string[] = [];
const sent = new Set<string>();

/**
 * A backend (with DPoP `backendDpop`, or none) and Envoy with `dpop` in front of it; the
 * backend learns the gateway's origin. Records go to `records`, Envoy's lines to `envoyLog`.
 */
async function startPair(
  backendDpop: BackendDpopOptions | undefined,
  allowBearer = false,
): Promise<{ backend: Backend; envoy: RunningEnvoy }> {
  const b = await startBackend({
    pki,
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    allowedOrigins: [WEB_ORIGIN],
    ...(backendDpop ? { dpop: { ...backendDpop, allowBearer } } : {}),
    log: (r) => records.push(r),
  });
  const e = await startEnvoy({
    pki,
    idpIssuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    backendPort: b.mtlsPort,
    allowedOrigins: [WEB_ORIGIN],
    dpop: { allowBearer },
    log: (line) => envoyLog.push(line),
  });
  b.setGatewayOrigin(e.url);
  return { backend: b, envoy: e };
}

describe.skipIf(!bin)("DPoP at the gateway (Envoy 1.40 + the backend kit's verifier)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gwo-dpop-envoy-"));
    pki = ensureDevPki(join(dir, "pki"));
    issuer = await startTokenIssuer(pki);
    key = await proofKey();
    ({ backend, envoy } = await startPair({}));
  });
  afterAll(async () => {
    await envoy?.close();
    await backend?.close();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const METHODS = {
    WhoAmI: new Uint8Array(),
    WatchNotes: new Uint8Array([0x08, 0x02]),
  } as const;
  type Method = keyof typeof METHODS;

  async function call(method: Method, h: AttackHeaders) {
    for (const v of [h.authorization ?? "", ...(h.dpop ?? [])]) if (v) sent.add(v);
    const headers: Record<string, string | string[]> = { origin: WEB_ORIGIN };
    if (h.authorization !== undefined) headers.authorization = h.authorization;
    if (h.dpop) headers.dpop = h.dpop;
    return rawGrpcWebCall({
      origin: envoy.url,
      ca: readFileSync(pki.ca.cert),
      path: `/demo.v1.NotesService/${method}`,
      message: METHODS[method],
      headers,
    });
  }

  const bound = () =>
    issuer.mint({ ...USERS.reader, roles: [], jti: randomUUID(), cnf: { jkt: key.jkt } });
  const context = (method: Method): AttackContext => ({
    key,
    method,
    token: bound,
    unboundToken: () => issuer.user("reader"),
    htu: (m) => `${envoy.url}/demo.v1.NotesService/${m}`,
    foreignOrigin: `https://localhost:${backend.webPort}`,
    send: async (h) => (await call(method, h)).grpcStatus,
  });
  const backendDenials = () =>
    records.filter(
      (r) =>
        (r as DenialRecord).event === "denied" && !(r as DenialRecord).peer.startsWith("spiffe:"),
    );

  for (const method of Object.keys(METHODS) as Method[]) {
    describe(method, () => {
      it("control: a bound token with a fresh proof reaches the backend", async () => {
        const r = await call(method, await validHeaders(context(method)));
        expect(r.grpcStatus).toBe(0);
        expect(r.messages).toBeGreaterThan(0);
        // The browser can read what it needs.
        expect(r.headers["access-control-allow-origin"]).toBe(WEB_ORIGIN);
      });
      for (const attack of ATTACKS) {
        it(`refuses ${attack.name}`, async () => {
          const headers = await attack.headers(context(method));
          const before = records.length;
          const r = await call(method, headers);
          expect(r.grpcStatus).toBe(UNAUTHENTICATED);
          expect(r.messages).toBe(0);
          // The same reply as every other gateway denial, and as the backend kit's.
          expect(r.status).toBe(200);
          expect(r.grpcMessage).toBe(UNAUTHENTICATED_MESSAGE);
          const meta = { ...r.headers, ...r.trailers };
          expect(meta["access-control-expose-headers"]).toContain("www-authenticate");
          // Refused at the gateway, by jwt_authn (no DPoP scheme) or by the verifier.
          const denial = records
            .slice(before)
            .find((x) => (x as DenialRecord).event === "denied") as DenialRecord | undefined;
          if (denial) {
            expect(attack.reasons).toContain(denial.reason);
            expect(denial.peer).toMatch(/^spiffe:/); // the gateway's verifier call, not the app
            expect(String(meta["www-authenticate"])).toMatch(/^DPoP /);
          } else {
            // jwt_authn refused before the verifier: a Bearer token where only DPoP is taken.
            expect(attack.reasons).toContain("wrong-scheme");
          }
        });
      }
    });
  }

  it("answers the CORS preflight for the DPoP header", async () => {
    const res = await fetchPreflight();
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-headers")).toContain("dpop");
  });

  it("never let an attack reach the application's interceptors", () => {
    expect(backendDenials()).toEqual([]);
  });

  it("logs no token and no proof", () => {
    expect(sent.size).toBeGreaterThan(40);
    expect(leakedSecrets(records, [...sent, ...issuer.minted])).toEqual([]);
    expect(
      leakedSecrets(
        envoyLog.map((l) => ({ l })),
        [...sent],
      ),
    ).toEqual([]);
  });

  async function fetchPreflight() {
    const { request } = await import("node:https");
    return new Promise<{ status: number; headers: Headers }>((resolve, reject) => {
      const req = request(
        `${envoy.url}/demo.v1.NotesService/WhoAmI`,
        {
          method: "OPTIONS",
          ca: readFileSync(pki.ca.cert),
          headers: {
            origin: WEB_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,dpop,content-type,x-grpc-web",
          },
        },
        (res) => {
          res.resume();
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v) headers.set(k, String(v));
          resolve({ status: res.statusCode ?? 0, headers });
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  describe("with server nonces, and when the verifier is missing", () => {
    let other: Backend | undefined;
    let otherEnvoy: RunningEnvoy | undefined;
    afterAll(async () => {
      await otherEnvoy?.close();
      await other?.close();
    });
    const start = async (dpop: BackendDpopOptions | undefined, allowBearer: boolean) => {
      await otherEnvoy?.close();
      await other?.close();
      ({ backend: other, envoy: otherEnvoy } = await startPair(dpop, allowBearer));
      return otherEnvoy;
    };
    const whoAmI = (e: RunningEnvoy, headers: Record<string, string>) =>
      rawGrpcWebCall({
        origin: e.url,
        ca: readFileSync(pki.ca.cert),
        path: "/demo.v1.NotesService/WhoAmI",
        message: new Uint8Array(),
        headers: { origin: WEB_ORIGIN, ...headers },
      });

    it("hands the browser a DPoP-Nonce with use_dpop_nonce, and accepts the retry", async () => {
      const e = await start({ nonceSecret: new Uint8Array(32).fill(9) }, false);
      const token = await bound();
      const htu = `${e.url}/demo.v1.NotesService/WhoAmI`;
      const first = await whoAmI(e, {
        authorization: `DPoP ${token}`,
        dpop: await makeProof(key, { htu, token }),
      });
      expect(first.grpcStatus).toBe(UNAUTHENTICATED);
      const meta = { ...first.headers, ...first.trailers };
      expect(meta["www-authenticate"]).toMatch(/^DPoP error="use_dpop_nonce", algs="/);
      expect(meta["access-control-expose-headers"]).toContain("dpop-nonce");
      const nonce = meta["dpop-nonce"];
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // The gateway and the backend share the nonce secret, so both accept the retry.
      const retry = await whoAmI(e, {
        authorization: `DPoP ${token}`,
        dpop: await makeProof(key, { htu, token, nonce }),
      });
      expect(retry.grpcStatus).toBe(0);
    });

    it("fails closed: with no verifier to ask, a call the backend would take is UNAVAILABLE", async () => {
      // A backend without DPoP serves no verifier; the gateway still demands one.
      const e = await start(undefined, true);
      const r = await whoAmI(e, { authorization: `Bearer ${await issuer.user("reader")}` });
      // UNAVAILABLE, as a trailers-only 200 every gRPC-Web client reads alike. Never OK.
      expect(r.status).toBe(200);
      expect(r.grpcStatus).toBe(14);
      expect(r.messages).toBe(0);
    });
  });
});
