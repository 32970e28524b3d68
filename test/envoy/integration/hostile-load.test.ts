/**
 * The unauthenticated ways in of issue 9, in short versions (bounded by count), against the
 * generated config on a real Envoy in front of the demo backend and IdP. The full-size runs
 * and their timings are `npm run attack` (bench/ATTACK.md); here each bound is shown to act:
 *  - connections that never send a byte are closed at the TLS handshake timeout, and a new
 *    client gets in while the probe listener keeps answering;
 *  - connections that finish TLS and then say nothing are closed at the idle timeout;
 *  - public Health/Watch is answered by Envoy itself, never holding a backend stream;
 *  - one user's stream flood is cut to its per-caller budget at the backend, and streams
 *    over the gateway's stream budget never take the unary budget.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSilentConnections } from "../../../bench/attack/silent-flood.js";
import { openStreamFlood } from "../../../bench/attack/stream-flood.js";
import { unaryCall } from "../../../bench/attack/unary-call.js";
import { runVictims } from "../../../bench/attack/victims.js";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { WatchNotesRequestSchema } from "../../../demo/gen/demo/v1/notes_pb.js";
import { type Idp, startIdp } from "../../../demo/idp/server.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { signIn } from "../../helpers/oidc-flow.js";

const bin = findEnvoy(repoRoot);
const ORIGIN = "https://localhost:5173";
const CAP = 300;
const PER_CALLER = 8;
const STREAM_BUDGET = 16;
const EMPTY = new Uint8Array(0);
const CHECK = "/grpc.health.v1.Health/Check";
const WATCH = "/grpc.health.v1.Health/Watch";
const WATCH_NOTES = "/demo.v1.NotesService/WatchNotes";
const longWatch = toBinary(WatchNotesRequestSchema, {
  $typeName: "demo.v1.WatchNotesRequest",
  count: 100,
  intervalMs: 1000,
});

/** A counter from Envoy's admin /stats (0 when absent). */
async function stat(envoy: RunningEnvoy, name: string): Promise<number> {
  const res = await fetch(
    `http://127.0.0.1:${envoy.adminPort}/stats?format=json&filter=${encodeURIComponent(`^${name}$`)}`,
  );
  const body = (await res.json()) as { stats: { name: string; value?: number }[] };
  return body.stats.find((s) => s.name === name)?.value ?? 0;
}

describe.skipIf(!bin)(bin ? "Envoy under hostile load" : "skipped: no Envoy binary", () => {
  let pki: DevPki;
  let ca: string;
  let idp: Idp;
  let backend: Backend;
  let envoy: RunningEnvoy;
  let probeAgent: Agent;
  const tokens: Record<string, string> = {};
  const check = (timeoutMs = 3000) =>
    unaryCall({
      url: envoy.url,
      ca,
      path: CHECK,
      message: EMPTY,
      headers: { origin: ORIGIN },
      timeoutMs,
    });
  const probe = async (path: string) => {
    const res = await undiciFetch(`https://localhost:${envoy.probePort}${path}`, {
      dispatcher: probeAgent,
    });
    await res.arrayBuffer();
    return res.status;
  };
  const listenerStat = (what: string) => stat(envoy, `listener.127.0.0.1_${envoy.port}.${what}`);

  beforeAll(async () => {
    pki = ensureDevPki(join(tmpdir(), `gwo-hostile-${process.pid}`));
    ca = readFileSync(pki.ca.cert, "utf8");
    probeAgent = new Agent({ connect: { ca }, pipelining: 0 });
    idp = await startIdp({ pki, redirectUris: [`${ORIGIN}/`], log: () => {} });
    backend = await startBackend({
      pki,
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      allowedOrigins: [ORIGIN],
      maxStreamsPerCaller: PER_CALLER,
    });
    envoy = await startEnvoy({
      pki,
      probePort: 0,
      idpIssuer: idp.issuer,
      jwksUri: idp.jwksUri,
      backendPort: backend.mtlsPort,
      allowedOrigins: [ORIGIN],
      limits: {
        maxDownstreamConnections: CAP,
        tlsHandshakeTimeoutSeconds: 2,
        streamBudget: STREAM_BUDGET,
        // Off here: these floods pack 100 streams per connection at once (tested below).
        requestsPerConnection: 0,
      },
    });
    for (const login of ["reader", "writer", "admin"]) {
      tokens[login] = (
        await signIn({ issuer: idp.issuer, ca, redirectUri: `${ORIGIN}/`, login, password: login })
      ).access_token;
    }
  });

  afterAll(async () => {
    await probeAgent?.close();
    await envoy?.close();
    await backend?.close();
    await idp?.close();
  });

  it(`closes ${CAP} connections that never send a byte at the TLS handshake timeout; a new client gets in; the probes never fail`, async () => {
    const timeoutsBefore = await listenerStat("downstream_cx_transport_socket_connect_timeout");
    const flood = await openSilentConnections({ port: envoy.port, count: CAP });
    try {
      expect(flood.connected()).toBe(CAP);
      // The cap is full: a new client is turned away for now...
      expect((await check(1500)).grpcStatus).not.toBe(0);
      // ...but the probe listener is outside the cap: kubelet sees a healthy pod.
      expect(await probe("/livez")).toBe(200);
      expect(await probe("/ready")).toBe(200);
      // The gateway closes every silent connection itself, and the next client gets in.
      expect(await flood.allClosed(30_000)).toBe(true);
      expect(flood.closeTimes()).toHaveLength(CAP);
      expect((await check()).grpcStatus).toBe(0);
      expect(
        (await listenerStat("downstream_cx_transport_socket_connect_timeout")) - timeoutsBefore,
      ).toBe(CAP);
    } finally {
      flood.destroy();
    }
  });

  it("answers 300 public Health/Watch streams itself (UNIMPLEMENTED); Check and signed-in calls go on", async () => {
    const forwardedBefore = await stat(envoy, "cluster.backend_public.upstream_rq_total");
    const flood = await openStreamFlood({
      url: envoy.url,
      ca,
      path: WATCH,
      message: EMPTY,
      count: 300,
      headers: { origin: ORIGIN },
    });
    try {
      expect(flood.summary()).toEqual({ "status:12": 300 });
      expect(await stat(envoy, "cluster.backend_public.upstream_rq_total")).toBe(forwardedBefore);
      expect((await check()).grpcStatus).toBe(0);
      const victims = await runVictims({
        url: envoy.url,
        ca,
        tokens: [tokens.writer as string],
        calls: 40,
        rate: 40,
        origin: ORIGIN,
      });
      expect(victims.failed).toEqual({});
    } finally {
      flood.close();
    }
  });

  it(`cuts one reader's 200 WatchNotes streams to ${PER_CALLER} at the backend; other users stream and call`, async () => {
    const flood = await openStreamFlood({
      url: envoy.url,
      ca,
      path: WATCH_NOTES,
      message: longWatch,
      count: 200,
      headers: { origin: ORIGIN, authorization: `Bearer ${tokens.reader}` },
    });
    try {
      const s = flood.summary();
      expect(s.held).toBe(PER_CALLER);
      // The rest: RESOURCE_EXHAUSTED from the backend, or UNAVAILABLE from the gateway's stream
      // budget while the refusals are in flight. Never a stream beyond the reader's share.
      expect((s["status:8"] ?? 0) + (s["status:14"] ?? 0)).toBe(200 - PER_CALLER);
      const other = await openStreamFlood({
        url: envoy.url,
        ca,
        path: WATCH_NOTES,
        message: longWatch,
        count: 2,
        headers: { origin: ORIGIN, authorization: `Bearer ${tokens.writer}` },
      });
      expect(other.summary()).toEqual({ held: 2 });
      other.close();
      const victims = await runVictims({
        url: envoy.url,
        ca,
        tokens: [tokens.writer as string, tokens.admin as string],
        calls: 40,
        rate: 40,
        origin: ORIGIN,
      });
      expect(victims.failed).toEqual({});
    } finally {
      flood.close();
    }
  });

  it(`refuses streams beyond the gateway's stream budget (${STREAM_BUDGET}) at Envoy, never the unary calls`, async () => {
    await new Promise((r) => setTimeout(r, 500)); // the previous flood's streams drain
    const held = await Promise.all(
      ["reader", "admin"].map((login) =>
        openStreamFlood({
          url: envoy.url,
          ca,
          path: WATCH_NOTES,
          message: longWatch,
          count: PER_CALLER,
          headers: { origin: ORIGIN, authorization: `Bearer ${tokens[login]}` },
        }),
      ),
    );
    try {
      expect(held.map((f) => f.summary())).toEqual([{ held: PER_CALLER }, { held: PER_CALLER }]);
      const overflow = "cluster.backend_streams.upstream_rq_active_overflow";
      const overflowBefore = await stat(envoy, overflow);
      // The stream class's circuit breaker is open; the unary class's is not.
      expect(await stat(envoy, "cluster.backend_streams.circuit_breakers.default.rq_open")).toBe(1);
      expect(await stat(envoy, "cluster.backend.circuit_breakers.default.rq_open")).toBe(0);
      const over = await openStreamFlood({
        url: envoy.url,
        ca,
        path: WATCH_NOTES,
        message: longWatch,
        count: 1,
        headers: { origin: ORIGIN, authorization: `Bearer ${tokens.writer}` },
      });
      expect(over.summary()).toEqual({ "status:14": 1 });
      over.close();
      expect(await stat(envoy, overflow)).toBe(overflowBefore + 1);
      const victims = await runVictims({
        url: envoy.url,
        ca,
        tokens: [tokens.writer as string],
        calls: 40,
        rate: 40,
        origin: ORIGIN,
      });
      expect(victims.failed).toEqual({});
    } finally {
      for (const f of held) f.close();
    }
  });
});

describe.skipIf(!bin)(
  bin
    ? "Envoy with rates: new connections (connectionsPerSecond), requests per connection (requestsPerConnection)"
    : "skipped: no Envoy binary",
  () => {
    const RATE = 50;
    const PER_CONNECTION = 10;
    let pki: DevPki;
    let ca: string;
    let idp: Idp;
    let backend: Backend;
    let envoy: RunningEnvoy;

    beforeAll(async () => {
      pki = ensureDevPki(join(tmpdir(), `gwo-hostile-rate-${process.pid}`));
      ca = readFileSync(pki.ca.cert, "utf8");
      idp = await startIdp({ pki, redirectUris: [`${ORIGIN}/`], log: () => {} });
      backend = await startBackend({
        pki,
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        allowedOrigins: [ORIGIN],
      });
      envoy = await startEnvoy({
        pki,
        idpIssuer: idp.issuer,
        jwksUri: idp.jwksUri,
        backendPort: backend.mtlsPort,
        allowedOrigins: [ORIGIN],
        limits: {
          maxDownstreamConnections: CAP,
          tlsHandshakeTimeoutSeconds: 30,
          // Short here only: the victims above keep the default, so no idle close races them.
          connectionIdleTimeoutSeconds: 2,
          connectionsPerSecond: RATE,
          requestsPerConnection: PER_CONNECTION,
        },
      });
    });

    afterAll(async () => {
      await envoy?.close();
      await backend?.close();
      await idp?.close();
    });

    it("closes connections that finish TLS and then say nothing at the idle timeout", async () => {
      const idleBefore = await stat(envoy, "http.ingress_https.downstream_cx_idle_timeout");
      const flood = await openSilentConnections({ port: envoy.port, count: 50, tls: { ca } });
      try {
        expect(flood.connected()).toBe(50);
        expect(await flood.allClosed(30_000)).toBe(true);
        expect(
          (await stat(envoy, "http.ingress_https.downstream_cx_idle_timeout")) - idleBefore,
        ).toBe(50);
      } finally {
        flood.destroy();
      }
    });

    it(`lets a burst of ${CAP} silent connections hold about ${RATE}, so the cap never fills and a new client gets in`, async () => {
      const flood = await openSilentConnections({ port: envoy.port, count: CAP });
      try {
        // The bucket closes the connections over the rate at accept.
        await expect
          .poll(() => flood.closed(), { timeout: 10_000 })
          .toBeGreaterThanOrEqual(CAP - 2 * RATE);
        expect(flood.open()).toBeLessThanOrEqual(2 * RATE);
        // Within the 30 s handshake timeout the rest are still held, yet a new client is served.
        await new Promise((r) => setTimeout(r, 300));
        const call = await unaryCall({
          url: envoy.url,
          ca,
          path: CHECK,
          message: EMPTY,
          headers: { origin: ORIGIN },
          timeoutMs: 5000,
        });
        expect(call.grpcStatus).toBe(0);
        expect(flood.open()).toBeGreaterThan(0);
        expect(
          await stat(envoy, "listener_local_ratelimit.new_connections.rate_limited"),
        ).toBeGreaterThanOrEqual(CAP - 2 * RATE);
      } finally {
        flood.destroy();
      }
    });

    it(`refuses one connection's requests beyond its bucket (${2 * PER_CONNECTION} at once) before verifying tokens; other connections go on`, async () => {
      const flood = await openStreamFlood({
        url: envoy.url,
        ca,
        path: WATCH,
        message: EMPTY,
        count: 100,
        headers: { origin: ORIGIN },
      });
      try {
        const s = flood.summary();
        // A burst of two seconds' worth passes (answered by Envoy: UNIMPLEMENTED), the rest is
        // refused by the connection's bucket: RESOURCE_EXHAUSTED, which clients do not retry at once.
        expect(s["status:12"]).toBeGreaterThanOrEqual(2 * PER_CONNECTION);
        expect(s["status:12"]).toBeLessThanOrEqual(2 * PER_CONNECTION + 5);
        expect(s["status:8"]).toBe(100 - (s["status:12"] ?? 0));
        const other = await unaryCall({
          url: envoy.url,
          ca,
          path: CHECK,
          message: EMPTY,
          headers: { origin: ORIGIN },
        });
        expect(other.grpcStatus).toBe(0);
      } finally {
        flood.close();
      }
    });
  },
);
