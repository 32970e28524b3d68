/**
 * Python grpcio, the other side of the wire from ours:
 * 1. a foreign BACKEND (test/foreign/grpcio/notes_server.py: NotesService and health on
 *    mutual TLS with the demo mesh certificates, client certificate required) behind the
 *    generated Envoy bundle: mTLS works both ways, RBAC and jwt_authn refuse before the
 *    backend sees a call (counted at the backend), streams and deadlines pass through;
 * 2. a foreign CLIENT (notes_client.py) on the backend kit's mTLS port: served with the
 *    gateway's client certificate, refused without it or with another mesh identity.
 * Needs `bash scripts/setup-grpcio.sh` (.venv/grpcio; .ci/run runs it) and, for 1, Envoy.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../demo/envoy.js";
import { GetNoteRequestSchema, NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import {
  BACKEND_DNS,
  type DevPki,
  ensureDevPki,
  GATEWAY_SPIFFE,
  issueCert,
} from "../../demo/pki.js";
import { type Backend, startBackend } from "../../demo/server/server.js";
import { findEnvoy } from "../../src/envoy/index.js";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "../../src/gen/grpc/health/v1/health_pb.js";
import {
  PERMISSION_DENIED_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  UNKNOWN_METHOD_MESSAGE,
} from "../../src/server/index.js";
import { createOidcTransport, StaticTokenSource } from "../../src/web/index.js";
import { repoRoot } from "../helpers/buf.js";
import { ORIGIN, type Signer, startSigner } from "../helpers/gateway-stack.js";
import { grpcWebCall } from "../helpers/grpc-web-wire.js";

const PYTHON = join(repoRoot, ".venv", "grpcio", "bin", "python");
const HERE = join(repoRoot, "test", "foreign", "grpcio");
const noPython = existsSync(PYTHON) ? "" : "no grpcio venv (bash scripts/setup-grpcio.sh)";
const noEnvoy = findEnvoy(repoRoot) ? "" : "no Envoy binary (npm run setup:envoy)";

interface ServerRecord {
  event: string;
  method?: string;
  peer?: string;
  deadline_ms?: number | null;
  port?: number;
}

/** The Python backend: its port, and every JSON line it printed. */
async function startPythonBackend(pki: DevPki) {
  const child: ChildProcess = spawn(
    PYTHON,
    [join(HERE, "notes_server.py"), pki.backend.cert, pki.backend.key, pki.meshCa.cert],
    { cwd: HERE, stdio: ["pipe", "pipe", "pipe"] },
  );
  const records: ServerRecord[] = [];
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`notes_server.py exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const r = JSON.parse(line) as ServerRecord;
      records.push(r);
      if (r.event === "listening") resolve(r.port!);
    });
  });
  return {
    port,
    records,
    /** Calls of `method` the backend has seen so far. */
    calls: (method: string) => records.filter((r) => r.event === "call" && r.method === method),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface ClientResult {
  name: string;
  code: string;
  message: string;
  messages: number;
  response: Record<string, unknown> | null;
}

/** Runs notes_client.py with `plan` and returns its results by call name. */
async function runPythonClient(plan: object): Promise<Record<string, ClientResult>> {
  const child = spawn(PYTHON, [join(HERE, "notes_client.py")], {
    cwd: HERE,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdin.end(JSON.stringify(plan));
  const code = await new Promise((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`notes_client.py exited ${code}: ${err}`);
  const results = JSON.parse(out) as ClientResult[];
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

/**
 * A count from the backend's log once it has settled: its lines arrive on stdout a moment
 * after the reply, so poll (50 × 50 ms at most) until two reads agree.
 */
async function seen(count: () => number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const now = count();
    if (now === last && now > 0) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return count();
}

async function readError(p: Promise<unknown>): Promise<{ code: Code; message: string } | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}

describe.skipIf(noPython !== "" || noEnvoy !== "")(
  `a grpcio backend behind the generated Envoy bundle${noPython || noEnvoy ? ` (skipped: ${noPython || noEnvoy})` : ""}`,
  () => {
    let pki: DevPki;
    let signer: Signer;
    let py: Awaited<ReturnType<typeof startPythonBackend>> | undefined;
    let envoy: RunningEnvoy | undefined;
    let agent: Agent;
    const fetchWithCa: typeof globalThis.fetch = (input, init) =>
      undiciFetch(input as string, {
        ...(init as object),
        dispatcher: agent,
      }) as unknown as Promise<Response>;
    const client = (token?: string) =>
      createClient(
        NotesService,
        token === undefined
          ? createGrpcWebTransport({ baseUrl: envoy!.url, fetch: fetchWithCa })
          : createOidcTransport({
              baseUrl: envoy!.url,
              tokens: new StaticTokenSource(token),
              fetch: fetchWithCa,
            }),
      );

    beforeAll(async () => {
      pki = ensureDevPki(mkdtempSync(join(tmpdir(), "gwo-grpcio-pki-")));
      agent = new Agent({ connect: { ca: readFileSync(pki.ca.cert, "utf8") }, allowH2: true });
      signer = await startSigner(pki);
      py = await startPythonBackend(pki);
      envoy = await startEnvoy({
        pki,
        idpIssuer: signer.issuer,
        jwksUri: signer.jwksUri,
        backendPort: py.port,
        allowedOrigins: [ORIGIN],
      });
    });
    afterAll(async () => {
      await envoy?.close();
      await py?.close();
      await signer?.close();
      await agent?.close();
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    });

    it("reaches the backend over mutual TLS: it sees the gateway's certificate and the caller's claims", async () => {
      const me = await client(await signer.mint({ scope: "notes.read" })).whoAmI({});
      expect(me.subject).toBe("user-1");
      expect(me.scopes).toEqual(["notes.read"]);
      expect(me.peerIdentity).toBe(GATEWAY_SPIFFE);
      // The backend's record reaches us on its stdout, which can trail the reply: wait for it.
      expect(await seen(() => py!.calls("WhoAmI").length)).toBe(1);
      expect(py!.calls("WhoAmI").map((c) => c.peer)).toEqual([GATEWAY_SPIFFE]);
    });

    it("refuses before the backend: no token, a bad token, a missing role, an unknown method (0 calls at the backend)", async () => {
      const reader = await signer.mint({ scope: "notes.read" });
      const forged = await signer.mint({ scope: "notes.read", forged: true });
      const before = { list: py!.calls("ListNotes").length, purge: py!.calls("PurgeNotes").length };
      expect(await readError(client().listNotes({}))).toEqual({
        code: Code.Unauthenticated,
        message: UNAUTHENTICATED_MESSAGE,
      });
      expect(await readError(client(forged).listNotes({}))).toEqual({
        code: Code.Unauthenticated,
        message: UNAUTHENTICATED_MESSAGE,
      });
      expect(await readError(client(reader).purgeNotes({}))).toEqual({
        code: Code.PermissionDenied,
        message: PERMISSION_DENIED_MESSAGE,
      });
      for (let i = 0; i < 3; i++) await readError(client(reader).purgeNotes({}));
      expect(py!.calls("ListNotes").length).toBe(before.list);
      expect(py!.calls("PurgeNotes").length).toBe(before.purge);
      // The same token is served where the policy allows it: the refusals were the gateway's.
      expect(await readError(client(reader).listNotes({}))).toBe("ok");
      expect(await seen(() => py!.calls("ListNotes").length)).toBe(before.list + 1);
      const admin = await signer.mint({ scope: "notes.read", roles: ["admin"] });
      expect(await readError(client(admin).purgeNotes({}))).toBe("ok");
      expect(await seen(() => py!.calls("PurgeNotes").length)).toBe(before.purge + 1);
      // Still none of the refused ones: exactly one more each.
      expect(py!.calls("ListNotes").length).toBe(before.list + 1);
    });

    it("passes a server stream through, message by message", async () => {
      const reader = client(await signer.mint({ scope: "notes.read" }));
      const seqs: number[] = [];
      for await (const ev of reader.watchNotes({ count: 6, intervalMs: 30 })) seqs.push(ev.seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it("passes the caller's deadline to the backend, and a call that outlives it reads DEADLINE_EXCEEDED", async () => {
      const reader = client(await signer.mint({ scope: "notes.read" }));
      const started = Date.now();
      const read = await readError(reader.getNote({ id: "slow" }, { timeoutMs: 1000 }));
      expect(read).not.toBe("ok");
      expect((read as { code: Code }).code).toBe(Code.DeadlineExceeded);
      // Far from the 1 s deadline only on a hang: a call that waited for the slow handler would
      // run into the test's own limit (the bound leaves room for a busy machine).
      expect(Date.now() - started).toBeLessThan(30_000);
      // What every gRPC-Web client reads, binary and text: HTTP 200, trailers-only
      // DEADLINE_EXCEEDED (Envoy's own reply used to be HTTP 504 with grpc-status 14).
      const slow = toBinary(GetNoteRequestSchema, create(GetNoteRequestSchema, { id: "slow" }));
      for (const format of ["binary", "text"] as const) {
        const wire = await grpcWebCall({
          baseUrl: envoy!.url,
          path: "/demo.v1.NotesService/GetNote",
          messages: [slow],
          format,
          headers: {
            authorization: `Bearer ${await signer.mint({ scope: "notes.read" })}`,
            "grpc-timeout": "500m",
          },
          dispatcher: agent,
        });
        // The gateway forwards grpc-timeout and leaves it to the backend: grpcio's own timer
        // ends the call ("Deadline Exceeded"), and the gateway passes its trailers on.
        expect([wire.status, wire.grpcStatus], format).toEqual([
          200,
          String(Code.DeadlineExceeded),
        ]);
      }
      await seen(() => py!.calls("GetNote").length);
      const first = py!.calls("GetNote").at(0);
      // The backend was given the deadline (what is left of the 1 s when it arrived).
      expect(first?.deadline_ms).toBeGreaterThan(0);
      expect(first?.deadline_ms).toBeLessThanOrEqual(1000);
    });

    it("serves health without a token, through the gateway", async () => {
      const health = createClient(
        Health,
        createGrpcWebTransport({ baseUrl: envoy!.url, fetch: fetchWithCa }),
      );
      const res = await health.check({ service: "" });
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    });
  },
);

describe.skipIf(noPython !== "")(
  `a grpcio client on the backend kit's mTLS port${noPython ? ` (skipped: ${noPython})` : ""}`,
  () => {
    let pki: DevPki;
    let signer: Signer;
    let backend: Backend | undefined;
    const plan = (cert: { cert: string; key: string } | null, calls: object[]) => ({
      target: `127.0.0.1:${backend!.mtlsPort}`,
      server_name: BACKEND_DNS,
      ca: pki.meshCa.cert,
      cert: cert?.cert ?? null,
      key: cert?.key ?? null,
      calls,
    });

    beforeAll(async () => {
      pki = ensureDevPki(mkdtempSync(join(tmpdir(), "gwo-grpcio-pki-")));
      signer = await startSigner(pki);
      backend = await startBackend({
        pki,
        issuer: signer.issuer,
        jwksUri: signer.jwksUri,
        allowedOrigins: [ORIGIN],
      });
    });
    afterAll(async () => {
      await backend?.close();
      await signer?.close();
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    });

    it("is served with the gateway's client certificate: calls, a stream, refusals, health, a deadline", async () => {
      const reader = await signer.mint({ scope: "notes.read" });
      const r = await runPythonClient(
        plan(pki.gateway, [
          { name: "whoami", method: "WhoAmI", token: reader },
          { name: "list", method: "ListNotes", token: reader },
          {
            name: "watch",
            method: "WatchNotes",
            token: reader,
            request: { count: 3, intervalMs: 10 },
          },
          { name: "no token", method: "ListNotes" },
          { name: "no role", method: "PurgeNotes", token: reader },
          { name: "unknown", method: "/demo.v1.NotesService/DropTables", token: reader },
          { name: "health", method: "Health/Check" },
          {
            name: "deadline",
            method: "WatchNotes",
            token: reader,
            request: { count: 50, intervalMs: 100 },
            timeout_s: 0.6,
          },
        ]),
      );
      expect(r.whoami).toMatchObject({
        code: "OK",
        response: { subject: "user-1", peerIdentity: GATEWAY_SPIFFE },
      });
      expect(r.list?.code).toBe("OK");
      expect(r.watch).toMatchObject({ code: "OK", messages: 3 });
      expect(r["no token"]).toMatchObject({
        code: "UNAUTHENTICATED",
        message: UNAUTHENTICATED_MESSAGE,
      });
      expect(r["no role"]).toMatchObject({
        code: "PERMISSION_DENIED",
        message: PERMISSION_DENIED_MESSAGE,
      });
      expect(r.unknown).toMatchObject({ code: "UNIMPLEMENTED", message: UNKNOWN_METHOD_MESSAGE });
      expect(r.health).toMatchObject({ code: "OK", response: { status: "SERVING" } });
      expect(r.deadline?.code).toBe("DEADLINE_EXCEEDED");
      expect(r.deadline?.messages).toBeGreaterThan(1);
      expect(r.deadline?.messages).toBeLessThan(50);
    });

    it("is refused without a client certificate, and with a mesh certificate that is not the gateway's", async () => {
      const intruder = issueCert({
        ca: pki.meshCa,
        dir: join(pki.dir, "intruder"),
        name: "intruder",
        usage: "client",
        sans: ["URI:spiffe://grpc-web-oidc.local/intruder"],
      });
      const before = backend!.logs.length;
      const token = await signer.mint({ scope: "notes.read" });
      const none = await runPythonClient(plan(null, [{ name: "call", method: "WhoAmI", token }]));
      expect(none.call?.code).toBe("UNAVAILABLE");
      const other = await runPythonClient(
        plan(intruder, [{ name: "call", method: "WhoAmI", token }]),
      );
      expect(other.call?.code).toBe("UNAVAILABLE");
      // The backend logged both refusals (handshake, then the peer allow-list).
      expect(backend!.logs.length).toBeGreaterThanOrEqual(before + 2);
    });
  },
);
