/**
 * Through the gateway, a server stream that outlives its token ends where the backend says,
 * cleanly (UNAVAILABLE, "stream reached its maximum duration; open a new one"), because the
 * backend's `maxStreamMs` sits below the gateway's `maxStreamDuration`. The gateway's bound is
 * the backstop: Envoy resets a stream that reaches it, which clients read as INTERNAL.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { STREAM_MAX_DURATION_MESSAGE } from "../../../src/server/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { type FlakyIdp, startFlakyIdp } from "../../helpers/flaky-idp.js";

const bin = findEnvoy(repoRoot);
const ORIGIN = "https://localhost:5173";
const GATEWAY_MAX_S = 3;

describe.skipIf(!bin)(bin ? "stream lifetime through Envoy" : "skipped: no Envoy binary", () => {
  let pki: DevPki;
  let idp: FlakyIdp;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    pki = ensureDevPki(join(tmpdir(), `gwo-envoy-stream-life-${process.pid}`));
    idp = await startFlakyIdp(pki);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await idp?.close();
  });

  async function gatewayTo(maxStreamMs: number) {
    const backend: Backend = await startBackend({
      pki,
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      allowedOrigins: [ORIGIN],
      maxStreamMs,
    });
    stops.push(() => backend.close());
    const envoy: RunningEnvoy = await startEnvoy({
      pki,
      idpIssuer: idp.issuer,
      jwksUri: idp.jwksUri,
      backendPort: backend.mtlsPort,
      allowedOrigins: [ORIGIN],
      limits: { maxStreamDurationSeconds: GATEWAY_MAX_S },
    });
    stops.push(() => envoy.close());
    return createClient(
      NotesService,
      createGrpcWebTransport({
        baseUrl: envoy.url,
        httpVersion: "2",
        nodeOptions: { ca: readFileSync(pki.ca.cert) },
      }),
    );
  }

  async function watchToEnd(client: Awaited<ReturnType<typeof gatewayTo>>) {
    const token = await idp.mint({ expiresIn: 1 });
    const seqs: number[] = [];
    try {
      for await (const m of client.watchNotes(
        { count: 100, intervalMs: 100 },
        { headers: { authorization: `Bearer ${token}`, origin: ORIGIN } },
      ))
        seqs.push(m.seq);
      return { seqs, code: 0 as Code | 0, message: "" };
    } catch (err) {
      const e = ConnectError.from(err);
      return { seqs, code: e.code as Code | 0, message: e.rawMessage };
    }
  }

  it("ends at the backend's bound, cleanly, before the gateway's backstop", async () => {
    const r = await watchToEnd(await gatewayTo(1500));
    expect({ code: r.code, message: r.message }).toEqual({
      code: Code.Unavailable,
      message: STREAM_MAX_DURATION_MESSAGE,
    });
    expect(r.seqs).toEqual(Array.from({ length: r.seqs.length }, (_, i) => i + 1));
    expect(r.seqs.length).toBeGreaterThan(10);
  });

  it("without a backend bound below it, Envoy's max_stream_duration resets the stream (INTERNAL)", async () => {
    const r = await watchToEnd(await gatewayTo(60_000));
    expect(r.code).toBe(Code.Internal);
    expect(r.seqs.length).toBeGreaterThan(15);
  });
});
