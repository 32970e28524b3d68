/**
 * Starting and failing: the generated gateway started while the IdP's JWKS endpoint fails.
 * Callers read UNAVAILABLE "token keys unavailable, try again" (as at the backend kit), never
 * UNAUTHENTICATED (which would make a client spend a refresh on a good token); `/ready` is 503
 * until the keys can be fetched; once the IdP is back, calls and readiness recover on their
 * own. The backend reads its keys from a mirror that stays up, so the counts here are Envoy's.
 *
 * And a signing-key rotation without pre-publication: Envoy does not refetch on an unknown
 * `kid` (jwt_authn waits for its cache to age), the backend does (jose, after a cooldown).
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unaryCall } from "../../../bench/attack/unary-call.js";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { JWKS_UNAVAILABLE_MESSAGE } from "../../../src/server/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { type FlakyIdp, startFlakyIdp } from "../../helpers/flaky-idp.js";

const bin = findEnvoy(repoRoot);
const ORIGIN = "https://localhost:5173";
const WHO_AM_I = "/demo.v1.NotesService/WhoAmI";

describe.skipIf(!bin)(
  bin ? "Envoy started while the IdP is down" : "skipped: no Envoy binary",
  () => {
    let pki: DevPki;
    let ca: string;
    let idp: FlakyIdp;
    let mirror: Awaited<ReturnType<FlakyIdp["mirror"]>>;
    let backend: Backend;
    let envoy: RunningEnvoy;
    let agent: Agent;
    const call = (url: string, token: string) =>
      unaryCall({
        url,
        ca,
        path: WHO_AM_I,
        message: new Uint8Array(0),
        headers: { origin: ORIGIN, authorization: `Bearer ${token}` },
        timeoutMs: 15_000,
      });
    const ready = async () => {
      const res = await undiciFetch(`https://localhost:${envoy.probePort}/ready`, {
        dispatcher: agent,
      });
      await res.arrayBuffer();
      return res.status;
    };

    beforeAll(async () => {
      pki = ensureDevPki(join(tmpdir(), `gwo-idp-down-${process.pid}`));
      ca = readFileSync(pki.ca.cert, "utf8");
      agent = new Agent({ connect: { ca } });
      idp = await startFlakyIdp(pki);
      mirror = await idp.mirror();
      await idp.failing();
      backend = await startBackend({
        pki,
        issuer: idp.issuer,
        jwksUri: mirror.jwksUri,
        allowedOrigins: [ORIGIN],
      });
      envoy = await startEnvoy({
        pki,
        probePort: 0,
        idpIssuer: idp.issuer,
        jwksUri: idp.jwksUri,
        backendPort: backend.mtlsPort,
        allowedOrigins: [ORIGIN],
      });
    });

    afterAll(async () => {
      await agent?.close();
      await envoy?.close();
      await backend?.close();
      await mirror?.close();
      await idp?.close();
    });

    it("answers UNAVAILABLE 'token keys unavailable, try again' (not UNAUTHENTICATED) and is not ready", async () => {
      const token = await idp.mint();
      for (let i = 0; i < 3; i++) {
        const r = await call(envoy.url, token);
        expect({ code: r.grpcStatus, message: r.detail }).toEqual({
          code: 14,
          message: JWKS_UNAVAILABLE_MESSAGE,
        });
      }
      // The same token is fine at the backend, which has its keys.
      expect((await call(`https://localhost:${backend.webPort}`, token)).grpcStatus).toBe(0);
      expect(await ready()).toBe(503);
    });

    it("asks the failing IdP at a fixed pace while idle, not in a loop", async () => {
      const before = idp.jwksRequests.length;
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 6000));
      const perSecond = (idp.jwksRequests.length - before) / ((performance.now() - t0) / 1000);
      // jwt_authn's async refetch (1 s after a failure, up to 2 retries with backoff) and the
      // /ready health check every 5 s; Envoy has no exponential backoff of its own.
      expect(perSecond).toBeGreaterThan(0);
      expect(perSecond).toBeLessThanOrEqual(4);
    });

    it("recovers on its own once the IdP answers: calls succeed and /ready turns 200", async () => {
      const token = await idp.mint();
      await idp.up();
      await expect
        .poll(async () => (await call(envoy.url, token)).grpcStatus, {
          timeout: 20_000,
          interval: 500,
        })
        .toBe(0);
      await expect.poll(ready, { timeout: 20_000, interval: 500 }).toBe(200);
    });

    it("takes a token signed with a new key at the backend at once, at Envoy only after its JWKS refetch", async () => {
      await idp.rotate();
      const token = await idp.mint();
      // The backend refetches on an unknown kid (after its 5 s cooldown at most).
      await expect
        .poll(async () => (await call(`https://localhost:${backend.webPort}`, token)).grpcStatus, {
          timeout: 15_000,
          interval: 500,
        })
        .toBe(0);
      // jwt_authn keeps its keys for jwt.jwksCacheDuration (5 min in the demo): the new kid is
      // refused until then. IdPs must publish a key before signing with it (envoy/README.md).
      const atGateway = await call(envoy.url, token);
      expect(atGateway.grpcStatus).toBe(16);
    });
  },
);
