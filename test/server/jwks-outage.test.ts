/**
 * The backend started while the IdP's JWKS endpoint fails (HTTP 503): it says NOT_SERVING
 * until it has keys, refuses signed-in calls with UNAVAILABLE "token keys unavailable, try
 * again" (never UNAUTHENTICATED: the token may be fine), asks the IdP at most once per backoff
 * step however many calls arrive, and serves on its own once the keys can be fetched.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { ensureDevPki } from "../../demo/pki.js";
import { type Backend, startBackend } from "../../demo/server/server.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../../src/gen/grpc/health/v1/health_pb.js";
import { JWKS_UNAVAILABLE_MESSAGE } from "../../src/server/index.js";
import { type FlakyIdp, startFlakyIdp } from "../helpers/flaky-idp.js";

const ORIGIN = "https://localhost:5173";
let idp: FlakyIdp;
let backend: Backend;
let transport: ReturnType<typeof createGrpcWebTransport>;

beforeAll(async () => {
  const pki = ensureDevPki(join(tmpdir(), `gwo-jwks-outage-${process.pid}`));
  idp = await startFlakyIdp(pki);
  await idp.failing();
  backend = await startBackend({
    pki,
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    allowedOrigins: [ORIGIN],
  });
  transport = createGrpcWebTransport({
    baseUrl: `https://localhost:${backend.webPort}`,
    httpVersion: "2",
    nodeOptions: { ca: readFileSync(pki.ca.cert) },
  });
});
afterAll(async () => {
  await backend?.close();
  await idp?.close();
});

async function whoAmI(token: string): Promise<{ code: Code | 0; message: string }> {
  try {
    await createClient(NotesService, transport).whoAmI(
      {},
      { headers: { authorization: `Bearer ${token}` } },
    );
    return { code: 0, message: "" };
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}

const health = async (service = "") =>
  (await createClient(Health, transport).check({ service })).status;

describe("the backend while the IdP's keys cannot be fetched", () => {
  it("says NOT_SERVING and refuses signed-in calls with UNAVAILABLE, not UNAUTHENTICATED", async () => {
    const token = await idp.mint();
    expect(await health()).toBe(Status.NOT_SERVING);
    expect(await health(NotesService.typeName)).toBe(Status.NOT_SERVING);
    expect(await whoAmI(token)).toEqual({
      code: Code.Unavailable,
      message: JWKS_UNAVAILABLE_MESSAGE,
    });
  });

  it("asks the IdP once per backoff step, not once per call: 100 calls over 4 s cost at most 4 requests", async () => {
    const token = await idp.mint();
    // Let the first backoff steps pass, then count.
    await new Promise((r) => setTimeout(r, 1500));
    const before = idp.jwksRequests.length;
    const codes = new Set<Code | 0>();
    for (let i = 0; i < 100; i++) {
      codes.add((await whoAmI(token)).code);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect([...codes]).toEqual([Code.Unavailable]);
    expect(idp.jwksRequests.length - before).toBeLessThanOrEqual(4);
  });

  it("serves on its own once the keys can be fetched", async () => {
    const token = await idp.mint();
    await idp.up();
    await expect.poll(() => health(), { timeout: 40_000, interval: 500 }).toBe(Status.SERVING);
    expect(await whoAmI(token)).toEqual({ code: 0, message: "" });
    expect(backend.logs.some((r) => (r as { event?: string }).event === "jwks-unavailable")).toBe(
      true,
    );
    expect(backend.logs.some((r) => (r as { event?: string }).event === "jwks-loaded")).toBe(true);
  });
});
