/**
 * A stream that outlives its access token: the token is checked once, when the call starts,
 * and the stream runs on past `exp`, until the backend's `maxStreamMs`, where it ends with
 * UNAVAILABLE "stream reached its maximum duration; open a new one" and every message before
 * it numbered without a gap. With `streamsEndAtTokenExpiry` it ends when the token expires
 * instead, with UNAUTHENTICATED.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { type Backend, type BackendOptions, startBackend } from "../../demo/server/server.js";
import {
  STREAM_MAX_DURATION_MESSAGE,
  STREAM_TOKEN_EXPIRED_MESSAGE,
} from "../../src/server/index.js";
import { type FlakyIdp, startFlakyIdp } from "../helpers/flaky-idp.js";

const ORIGIN = "https://localhost:5173";
let pki: DevPki;
let idp: FlakyIdp;
const backends: Backend[] = [];

beforeAll(async () => {
  pki = ensureDevPki(join(tmpdir(), `gwo-stream-life-${process.pid}`));
  idp = await startFlakyIdp(pki);
});
afterAll(async () => {
  for (const b of backends) await b.close();
  await idp?.close();
});

async function backendWith(o: Partial<BackendOptions>) {
  const b = await startBackend({
    pki,
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    allowedOrigins: [ORIGIN],
    ...o,
  });
  backends.push(b);
  return createClient(
    NotesService,
    createGrpcWebTransport({
      baseUrl: `https://localhost:${b.webPort}`,
      httpVersion: "2",
      nodeOptions: { ca: readFileSync(pki.ca.cert) },
    }),
  );
}

/** Reads a WatchNotes stream to its end: the numbers received, the end code and message, when. */
async function watch(client: Awaited<ReturnType<typeof backendWith>>, token: string) {
  const seqs: number[] = [];
  const t0 = Date.now();
  let last = t0;
  try {
    for await (const m of client.watchNotes(
      { count: 150, intervalMs: 100 },
      { headers: { authorization: `Bearer ${token}` } },
    )) {
      seqs.push(m.seq);
      last = Date.now();
    }
    return { seqs, code: 0 as Code | 0, message: "", ms: Date.now() - t0, last };
  } catch (err) {
    const e = ConnectError.from(err);
    return { seqs, code: e.code as Code | 0, message: e.rawMessage, ms: Date.now() - t0, last };
  }
}

describe("a stream that outlives its access token", () => {
  it("runs past the token's expiry and ends at maxStreamMs with UNAVAILABLE, no message lost", async () => {
    const client = await backendWith({ maxStreamMs: 7000, clockToleranceSeconds: 0 });
    // Expires 3 s after minting: the stream goes on (checked once, at the start). The margin
    // lets a busy machine start the stream before the token expires.
    const token = await idp.mint({ expiresIn: 3 });
    const exp = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).exp;
    const r = await watch(client, token);
    expect({ code: r.code, message: r.message }).toEqual({
      code: Code.Unavailable,
      message: STREAM_MAX_DURATION_MESSAGE,
    });
    expect(r.last).toBeGreaterThan(exp * 1000 + 1000); // messages well after the token expired
    expect(r.seqs).toEqual(Array.from({ length: r.seqs.length }, (_, i) => i + 1));
    expect(r.ms).toBeGreaterThanOrEqual(6900);
  });

  it("with streamsEndAtTokenExpiry, ends when the token expires, with UNAUTHENTICATED", async () => {
    const client = await backendWith({
      maxStreamMs: 60_000,
      streamsEndAtTokenExpiry: true,
      clockToleranceSeconds: 0,
    });
    const r = await watch(client, await idp.mint({ expiresIn: 3 }));
    expect({ code: r.code, message: r.message }).toEqual({
      code: Code.Unauthenticated,
      message: STREAM_TOKEN_EXPIRED_MESSAGE,
    });
    expect(r.seqs).toEqual(Array.from({ length: r.seqs.length }, (_, i) => i + 1));
    expect(r.ms).toBeLessThan(10_000);
  });
});
