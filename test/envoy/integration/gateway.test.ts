/**
 * The production path, for real: SDK → Envoy (the generated config) → mTLS →
 * the demo backend. Tokens come from a test signer whose JWKS is served over
 * HTTPS (so expired, forged and wrong-audience tokens can be made on demand);
 * a second block signs in at the real demo IdP.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { startIdp } from "../../../demo/idp/server.js";
import { type DevPki, ensureDevPki, GATEWAY_SPIFFE, issueCert } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "../../../src/gen/grpc/health/v1/health_pb.js";
import { createOidcTransport, StaticTokenSource } from "../../../src/web/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { logged, ORIGIN, type Signer, startGateway } from "../../helpers/gateway-stack.js";
import { signIn } from "../../helpers/oidc-flow.js";

const bin = findEnvoy(repoRoot);
const STRANGER = "https://evil.example";

/** The SHA-256 fingerprint of the certificate a fresh TLS connection is served, and the ALPN chosen. */
function handshake(
  port: number,
  ca: string,
): Promise<{ fingerprint: string; alpn: string | false | null; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: "127.0.0.1", port, servername: "localhost", ca, ALPNProtocols: ["h2", "http/1.1"] },
      () => {
        const cert = s.getPeerX509Certificate();
        resolve({
          fingerprint: cert?.fingerprint256 ?? "",
          alpn: s.alpnProtocol,
          protocol: s.getProtocol(),
        });
        s.end();
      },
    );
    s.once("error", reject);
  });
}

function fingerprintOf(certPath: string): string {
  return new X509Certificate(readFileSync(certPath)).fingerprint256;
}

async function probe(agent: Agent, envoy: RunningEnvoy, path: string): Promise<number> {
  const res = await undiciFetch(`https://localhost:${envoy.probePort}${path}`, {
    dispatcher: agent,
  });
  await res.arrayBuffer();
  return res.status;
}

async function uptimeSeconds(adminPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/server_info`);
  const info = (await res.json()) as { uptime_current_epoch?: string };
  return Number.parseFloat(info.uptime_current_epoch ?? "NaN");
}

async function codeOf(p: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** `fetch` through the agent `agent()` returns (read per call: the agent is made in beforeAll). */
function fetchThrough(agent: () => Agent): typeof globalThis.fetch {
  return (input, init) =>
    undiciFetch(input as string, {
      ...(init as object),
      dispatcher: agent(),
    }) as unknown as Promise<Response>;
}

/** A NotesService client that calls through Envoy with `token`. */
function notesClient(envoy: RunningEnvoy, token: string, fetch: typeof globalThis.fetch) {
  return createClient(
    NotesService,
    createOidcTransport({ baseUrl: envoy.url, tokens: new StaticTokenSource(token), fetch }),
  );
}

describe.skipIf(!bin)(bin ? "Envoy gateway, end to end" : "skipped: no Envoy binary", () => {
  let pki: DevPki;
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  let signer: Signer;
  let backend: Backend;
  let envoy: RunningEnvoy;
  let agent: Agent;
  let ca: string;
  const envoyLog: string[] = [];
  const fetchWithCa = fetchThrough(() => agent);
  const clientWith = (token: string) => notesClient(envoy, token, fetchWithCa);
  const anonymous = () => createGrpcWebTransport({ baseUrl: envoy.url, fetch: fetchWithCa });

  beforeAll(async () => {
    pki = ensureDevPki(join(tmpdir(), `gwo-envoy-it-${process.pid}`));
    ca = readFileSync(pki.ca.cert, "utf8");
    agent = new Agent({ connect: { ca }, allowH2: true });
    gateway = await startGateway(pki, {
      envoy: { probePort: 0, log: (l) => envoyLog.push(l) },
    });
    ({ signer, backend, envoy } = gateway);
  });

  afterAll(async () => {
    await gateway?.close();
    await agent?.close();
  });

  it("terminates TLS with the configured certificate, TLS 1.2+ and ALPN h2", async () => {
    const hs = await handshake(envoy.port, ca);
    expect(hs.fingerprint).toBe(
      fingerprintOf(join(envoy.configPath, "..", "tls", "server", "tls.crt")),
    );
    expect(hs.alpn).toBe("h2");
    expect(["TLSv1.2", "TLSv1.3"]).toContain(hs.protocol);
    expect(envoy.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("answers a preflight from the allowed origin with the gRPC-Web CORS headers", async () => {
    const res = await undiciFetch(`${envoy.url}/demo.v1.NotesService/ListNotes`, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "authorization,content-type,x-grpc-web,x-user-agent,grpc-timeout",
      },
      dispatcher: agent,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });

  it("gives a stranger origin no CORS grant and does not forward its preflight", async () => {
    const before = backend.logs.length;
    const res = await undiciFetch(`${envoy.url}/demo.v1.NotesService/ListNotes`, {
      method: "OPTIONS",
      headers: {
        origin: STRANGER,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-grpc-web",
      },
      dispatcher: agent,
    });
    await res.arrayBuffer();
    // Envoy answers it itself (forward_not_matching_preflights: false) without
    // Access-Control-Allow-Origin, so the browser refuses the real request.
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(
      await logged(
        envoyLog,
        (l) => l.includes('"origin":"https://evil.example"') && l.includes("cors_response"),
      ),
    ).toBe(true);
    expect(backend.logs.length).toBe(before);
  });

  it("translates gRPC-Web unary calls and reaches the backend over mTLS as the gateway", async () => {
    const writer = clientWith(await signer.mint({ scope: "notes.read notes.write" }));
    const created = await writer.createNote({ text: "through envoy" });
    expect(created.note?.text).toBe("through envoy");
    const list = await writer.listNotes({});
    expect(list.notes.map((n) => n.text)).toContain("through envoy");
    const me = await writer.whoAmI({});
    expect(me.subject).toBe("user-1");
    expect(me.scopes).toEqual(["notes.read", "notes.write"]);
    expect(me.peerIdentity).toBe(GATEWAY_SPIFFE);
  });

  // 18 s of stream by design; the limit leaves room for a busy machine.
  it("keeps a server stream open past Envoy's default 15 s route timeout", {
    timeout: 180_000,
  }, async () => {
    const reader = clientWith(await signer.mint({ scope: "notes.read" }));
    const started = Date.now();
    const seqs: number[] = [];
    for await (const ev of reader.watchNotes({ count: 18, intervalMs: 1000 })) seqs.push(ev.seq);
    expect(seqs).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(Date.now() - started).toBeGreaterThan(15_000);
  });

  it("rejects a missing token as UNAUTHENTICATED, at Envoy", async () => {
    const client = createClient(NotesService, anonymous());
    expect(await codeOf(client.listNotes({}))).toBe(Code.Unauthenticated);
    expect(await logged(envoyLog, (l) => l.includes("Jwt_is_missing"))).toBe(true);
  });

  it("rejects expired and forged tokens as UNAUTHENTICATED through the SDK", async () => {
    const expired = await signer.mint({ scope: "notes.read", expiresIn: -120 });
    const forged = await signer.mint({ scope: "notes.read", forged: true });
    for (const token of [expired, forged]) {
      expect(await codeOf(clientWith(token).listNotes({}))).toBe(Code.Unauthenticated);
    }
    expect(await logged(envoyLog, (l) => l.includes("Jwt_is_expired"))).toBe(true);
    expect(await logged(envoyLog, (l) => l.includes("Jwt_verification_fails"))).toBe(true);
  });

  it("rejects a token for another audience as UNAUTHENTICATED, like the backend (jwt_authn's 403 is mapped)", async () => {
    const wrongAud = await signer.mint({ scope: "notes.read", aud: "https://other.example" });
    expect(await codeOf(clientWith(wrongAud).listNotes({}))).toBe(Code.Unauthenticated);
    expect(await logged(envoyLog, (l) => l.includes("Audiences_in_Jwt_are_not_allowed"))).toBe(
      true,
    );
  });

  it("does not accept a token in the query string", async () => {
    const token = await signer.mint({ scope: "notes.read" });
    const res = await undiciFetch(
      `${envoy.url}/demo.v1.NotesService/ListNotes?access_token=${token}`,
      {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: new Uint8Array(5),
        dispatcher: agent,
      },
    );
    await res.arrayBuffer();
    expect(res.headers.get("grpc-status")).toBe(String(Code.Unauthenticated));
    // The access log writes paths without their query: the token is not logged.
    expect(
      await logged(envoyLog, (l) => l.includes('"path":"/demo.v1.NotesService/ListNotes"')),
    ).toBe(true);
    expect(envoyLog.join("\n")).not.toContain(token);
  });

  it("allows and denies by scope and by role (RBAC from the proto)", async () => {
    const reader = clientWith(await signer.mint({ scope: "notes.read" }));
    const writer = clientWith(await signer.mint({ scope: "notes.read notes.write" }));
    const admin = clientWith(await signer.mint({ scope: "notes.read", roles: ["admin"] }));
    const nobody = clientWith(await signer.mint({}));
    expect(await codeOf(reader.listNotes({}))).toBe("ok");
    expect(await codeOf(reader.createNote({ text: "x" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(writer.createNote({ text: "y" }))).toBe("ok");
    expect(await codeOf(writer.purgeNotes({}))).toBe(Code.PermissionDenied);
    expect(await codeOf(admin.purgeNotes({}))).toBe("ok");
    expect(await codeOf(nobody.whoAmI({}))).toBe("ok"); // authenticated, no scope needed
    expect(await codeOf(nobody.listNotes({}))).toBe(Code.PermissionDenied);
    expect(await logged(envoyLog, (l) => l.includes("rbac_access_denied"))).toBe(true);
  });

  it("answers paths that name no proto method UNIMPLEMENTED itself, with a token or without", async () => {
    const token = await signer.mint({ scope: "notes.read notes.write", roles: ["admin"] });
    for (const authorization of [`Bearer ${token}`, undefined]) {
      for (const path of [
        "/demo.v1.NotesService/DropTables",
        "/grpc.health.v1.Health/List",
        "/other.Service/Call",
      ]) {
        const res = await undiciFetch(`${envoy.url}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/grpc-web+proto",
            "x-grpc-web": "1",
            ...(authorization ? { authorization } : {}),
          },
          body: new Uint8Array(5),
          dispatcher: agent,
        });
        await res.arrayBuffer();
        // What the backend kit (and any gRPC server) answers: HTTP 200, trailers-only, 12.
        expect(
          [res.status, res.headers.get("grpc-status"), res.headers.get("grpc-message")],
          path,
        ).toEqual([200, String(Code.Unimplemented), "unknown method"]);
      }
    }
  });

  it("is ready on the probe listener while the backend passes its gRPC health checks", async () => {
    expect(await probe(agent, envoy, "/ready")).toBe(200);
    expect(await probe(agent, envoy, "/livez")).toBe(200);
  });

  it("serves health without a token", async () => {
    const health = createClient(Health, anonymous());
    const res = await health.check({ service: "" });
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("rotates the server certificate by an SDS directory swap: no restart, no failed call", async () => {
    const reader = clientWith(await signer.mint({ scope: "notes.read" }));
    const pid = envoy.pid;
    const uptime = await uptimeSeconds(envoy.adminPort);
    const fresh = issueCert({
      ca: pki.ca,
      dir: join(pki.dir, "rotated"),
      name: "localhost-2",
      usage: "server",
      sans: ["DNS:localhost", "IP:127.0.0.1"],
    });
    const before = await handshake(envoy.port, ca);
    expect(before.fingerprint).not.toBe(fingerprintOf(fresh.cert));

    // A stream and a stream of unary calls run across the swap.
    const stream = (async () => {
      const seqs: number[] = [];
      for await (const ev of reader.watchNotes({ count: 6, intervalMs: 500 })) seqs.push(ev.seq);
      return seqs;
    })();
    let stop = false;
    const failures: unknown[] = [];
    let calls = 0;
    const unary = (async () => {
      while (!stop) {
        try {
          await reader.listNotes({});
          calls++;
        } catch (err) {
          failures.push(err);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    envoy.rotate("server", { "tls.crt": fresh.cert, "tls.key": fresh.key });
    let served = before.fingerprint;
    for (let i = 0; i < 100 && served !== fingerprintOf(fresh.cert); i++) {
      await new Promise((r) => setTimeout(r, 100));
      served = (await handshake(envoy.port, ca)).fingerprint;
    }
    expect(served).toBe(fingerprintOf(fresh.cert));
    expect(await stream).toEqual([1, 2, 3, 4, 5, 6]);
    stop = true;
    await unary;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(0);
    // Same process, never restarted: its uptime kept counting.
    expect(envoy.pid).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(await uptimeSeconds(envoy.adminPort)).toBeGreaterThanOrEqual(uptime);
  });
});

describe.skipIf(!bin)(
  bin
    ? "Envoy gateway, one gateway per case: real IdP, rate limit, refused upstream"
    : "skipped: no Envoy binary",
  () => {
    let pki: DevPki;
    let agent: Agent;
    let ca: string;
    const fetchWithCa = fetchThrough(() => agent);

    beforeAll(() => {
      pki = ensureDevPki(join(tmpdir(), `gwo-envoy-it-${process.pid}`));
      ca = readFileSync(pki.ca.cert, "utf8");
      agent = new Agent({ connect: { ca }, allowH2: true });
    });
    afterAll(async () => {
      await agent?.close();
    });

    it("signs in at the demo IdP and calls through Envoy with the real access token", async () => {
      const redirectUri = `${ORIGIN}/callback`;
      const idp = await startIdp({ pki, redirectUris: [redirectUri], log: () => {} });
      const backend = await startBackend({
        pki,
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        allowedOrigins: [ORIGIN],
      });
      const envoy = await startEnvoy({
        pki,
        idpIssuer: idp.issuer,
        jwksUri: idp.jwksUri,
        backendPort: backend.mtlsPort,
        allowedOrigins: [ORIGIN],
      });
      try {
        const client = (token: string) => notesClient(envoy, token, fetchWithCa);
        const reader = await signIn({
          issuer: idp.issuer,
          ca,
          redirectUri,
          login: "reader",
          password: "reader",
        });
        const admin = await signIn({
          issuer: idp.issuer,
          ca,
          redirectUri,
          login: "admin",
          password: "admin",
        });
        expect(await codeOf(client(reader.access_token).listNotes({}))).toBe("ok");
        expect(await codeOf(client(reader.access_token).purgeNotes({}))).toBe(
          Code.PermissionDenied,
        );
        expect(await codeOf(client(admin.access_token).purgeNotes({}))).toBe("ok");
        const me = await client(admin.access_token).whoAmI({});
        expect(me.roles).toContain("admin");
        expect(me.peerIdentity).toBe(GATEWAY_SPIFFE);
      } finally {
        await envoy.close();
        await backend.close();
        await idp.close();
      }
    });

    it("enforces the local rate limit: calls beyond the bucket get RESOURCE_EXHAUSTED at the gateway", async () => {
      const { signer, envoy, close } = await startGateway(pki, {
        envoy: { rateLimit: { maxTokens: 3, tokensPerFill: 3, fillIntervalSeconds: 3600 } },
      });
      try {
        const client = notesClient(envoy, await signer.mint({ scope: "notes.read" }), fetchWithCa);
        const codes: (Code | "ok")[] = [];
        for (let i = 0; i < 5; i++) codes.push(await codeOf(client.listNotes({})));
        expect(codes.slice(0, 3)).toEqual(["ok", "ok", "ok"]);
        expect(codes.slice(3)).toEqual([Code.ResourceExhausted, Code.ResourceExhausted]);
      } finally {
        await close();
      }
    });

    it("gets no upstream when the gateway's client certificate is not on the backend's allow-list", async () => {
      const { signer, envoy, close } = await startGateway(pki, {
        backend: { allowedPeers: ["spiffe://grpc-web-oidc.local/someone-else"] },
        envoy: { probePort: 0 },
      });
      try {
        const client = notesClient(envoy, await signer.mint({ scope: "notes.read" }), fetchWithCa);
        const code = await codeOf(client.listNotes({}));
        expect(code).toBe(Code.Unavailable);
        const health = createClient(
          Health,
          createGrpcWebTransport({ baseUrl: envoy.url, fetch: fetchWithCa }),
        );
        expect(await codeOf(health.check({}))).toBe(Code.Unavailable);
        // The Kubernetes readiness probe follows: not ready without a healthy backend.
        expect(await probe(agent, envoy, "/ready")).toBe(503);
        expect(await probe(agent, envoy, "/livez")).toBe(200);
      } finally {
        await close();
      }
    });
  },
);
