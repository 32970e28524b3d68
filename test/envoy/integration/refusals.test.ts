/**
 * The gateway's own refusals read the same in every gRPC-Web client: HTTP 200,
 * trailers-only, `grpc-status` and `grpc-message` in the (CORS-exposed) headers, no body,
 * in the binary and the text format; Connect-ES's plain transport and our SDK read the
 * same code and message. (Google's grpc-web runtime reads them in Chromium:
 * test/foreign/.) And the access log records the status the client read.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetNoteRequestSchema,
  ListNotesRequestSchema,
  NotesService,
  WatchNotesRequestSchema,
} from "../../../demo/gen/demo/v1/notes_pb.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { createOidcTransport, StaticTokenSource } from "../../../src/web/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { type Gateway, ORIGIN, startGateway } from "../../helpers/gateway-stack.js";
import { grpcWebCall, type WireFormat } from "../../helpers/grpc-web-wire.js";
import { GATEWAY_REFUSALS, type RefusalCase } from "../../helpers/refusal-cases.js";

const bin = findEnvoy(repoRoot);
const LIST_NOTES = "/demo.v1.NotesService/ListNotes";

interface LogRecord {
  grpc_status?: unknown;
  status?: unknown;
}

/** What a Connect-ES client reads from a failed call. */
async function readError(p: Promise<unknown>): Promise<{ code: Code; message: string } | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}

describe.skipIf(!bin)(bin ? "gateway refusals, every client" : "skipped: no Envoy binary", () => {
  let pki: DevPki;
  let gateway: Gateway | undefined;
  let limited: Gateway | undefined;
  let agent: Agent;
  const log: string[] = [];
  const fetchWithCa: typeof globalThis.fetch = (input, init) =>
    undiciFetch(input as string, {
      ...(init as object),
      dispatcher: agent,
    }) as unknown as Promise<Response>;

  beforeAll(async () => {
    pki = ensureDevPki(join(tmpdir(), `gwo-envoy-it-${process.pid}`));
    agent = new Agent({ connect: { ca: readFileSync(pki.ca.cert, "utf8") }, allowH2: true });
    gateway = await startGateway(pki, { envoy: { log: (l) => log.push(l) } });
    // One token in the bucket, never refilled: the second authorized call is rate limited.
    limited = await startGateway(pki, {
      envoy: { rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalSeconds: 3600 } },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await limited?.close();
    await agent?.close();
  });

  let tokenSpent = false;
  /** The case's gateway and token (the rate-limit case spends the bucket's one token first). */
  async function setUp(c: RefusalCase): Promise<{ gw: Gateway; token: string | undefined }> {
    const gw = c.name === "rate limit" ? limited! : gateway!;
    const token = await c.token(gw.signer);
    if (c.name === "rate limit" && !tokenSpent) {
      tokenSpent = true;
      const first = await grpcWebCall({
        baseUrl: gw.envoy.url,
        path: c.path,
        messages: [new Uint8Array(0)],
        format: "binary",
        headers: { authorization: `Bearer ${token}` },
        dispatcher: agent,
      });
      expect(first.grpcStatus).toBe("0");
    }
    return { gw, token };
  }

  describe.each(GATEWAY_REFUSALS)("$name", (c) => {
    it.each<WireFormat>(["binary", "text"])(
      "leaves as HTTP 200 trailers-only with grpc-status and grpc-message exposed to the page (%s)",
      async (format) => {
        const { gw, token } = await setUp(c);
        const reply = await grpcWebCall({
          baseUrl: gw.envoy.url,
          path: c.path,
          messages: [new Uint8Array(0)],
          format,
          headers: { origin: ORIGIN, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          dispatcher: agent,
        });
        expect(reply.status).toBe(200);
        expect(reply.headers.get("content-type")).toBe(
          format === "text" ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
        );
        expect(reply.headers.get("grpc-status")).toBe(String(c.code));
        expect(reply.headers.get("grpc-message")).toBe(c.message);
        expect(reply.body.length).toBe(0);
        expect(reply.headers.get("access-control-allow-origin")).toBe(ORIGIN);
        const exposed = reply.headers.get("access-control-expose-headers") ?? "";
        expect(exposed).toContain("grpc-status");
        expect(exposed).toContain("grpc-message");
      },
    );

    it("reads the same code and message in Connect-ES's plain transport and in createOidcTransport", async () => {
      const { gw, token } = await setUp(c);
      const call = (transport: ReturnType<typeof createGrpcWebTransport>) =>
        createClient(NotesService, transport).listNotes({});
      // Unknown methods are not in the generated client: its ListNotes call is sent to them.
      const fetch = c.path === LIST_NOTES ? fetchWithCa : rewritePath(fetchWithCa, c.path);
      const plain = createGrpcWebTransport({
        baseUrl: gw.envoy.url,
        fetch,
        interceptors: token
          ? [
              (next) => (req) => {
                req.header.set("authorization", `Bearer ${token}`);
                return next(req);
              },
            ]
          : [],
      });
      expect(await readError(call(plain))).toEqual({ code: c.code, message: c.message });
      if (token !== undefined) {
        if (c.name === "rate limit") return; // the SDK's call would be one more, also limited
        const sdk = createOidcTransport({
          baseUrl: gw.envoy.url,
          tokens: new StaticTokenSource(token),
          fetch,
          auth: { retryUnauthenticated: false },
        });
        expect(await readError(call(sdk))).toEqual({ code: c.code, message: c.message });
      }
    });
  });

  describe("access log: grpc_status is the status the client read", () => {
    let tagged = 0;
    /**
     * The access-log record of the call `run` makes. Lines are flushed every 200 ms, so a
     * late line of an earlier call can follow; each call carries its own Origin (logged,
     * and harmless: CORS only decides what the browser may read) to find its line.
     */
    async function record(run: (origin: string) => Promise<unknown>): Promise<LogRecord> {
      const origin = `https://call-${++tagged}.example`;
      await run(origin).catch(() => {});
      const match = (l: string) => l.includes(`"origin":"${origin}"`);
      let line: string | undefined;
      for (let i = 0; i < 50 && line === undefined; i++) {
        line = log.find(match);
        if (line === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(line, `an access log line for ${origin}`).toBeDefined();
      return JSON.parse(line!) as LogRecord;
    }

    const call =
      (path: string, message: Uint8Array, format: WireFormat, token?: string) => (origin: string) =>
        grpcWebCall({
          baseUrl: gateway!.envoy.url,
          path,
          messages: [message],
          format,
          headers: { origin, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          dispatcher: agent,
        });
    const empty = new Uint8Array(0);

    it.each<WireFormat>(["binary", "text"])(
      "success: 0 for a unary call and a server stream (%s)",
      async (format) => {
        const token = await gateway!.signer.mint({ scope: "notes.read" });
        const list = toBinary(ListNotesRequestSchema, create(ListNotesRequestSchema, {}));
        const unary = await record(call(LIST_NOTES, list, format, token));
        expect(unary.grpc_status).toBe(0);
        const watch = toBinary(
          WatchNotesRequestSchema,
          create(WatchNotesRequestSchema, { count: 2, intervalMs: 10 }),
        );
        let streamed = 0;
        const stream = await record(async (origin) => {
          const reply = await call(
            "/demo.v1.NotesService/WatchNotes",
            watch,
            format,
            token,
          )(origin);
          streamed = reply.messages.length;
        });
        expect(streamed).toBe(2);
        expect(stream.grpc_status).toBe(0);
      },
    );

    it("denials: 16 without a token, 7 without the scope (the gateway's own replies)", async () => {
      const missing = await record(call(LIST_NOTES, empty, "binary"));
      expect(missing).toMatchObject({ grpc_status: 16, status: 200 });
      const reader = await gateway!.signer.mint({ scope: "notes.read" });
      const denied = await record(
        call("/demo.v1.NotesService/CreateNote", empty, "binary", reader),
      );
      expect(denied.grpc_status).toBe(7);
    });

    it("backend error: the backend's own code (NOT_FOUND for an unknown note)", async () => {
      const token = await gateway!.signer.mint({ scope: "notes.read" });
      const get = toBinary(
        GetNoteRequestSchema,
        create(GetNoteRequestSchema, { id: "no-such-note" }),
      );
      let read: string | null = null;
      const rec = await record(async (origin) => {
        read = (await call("/demo.v1.NotesService/GetNote", get, "binary", token)(origin))
          .grpcStatus;
      });
      expect(read).toBe(String(Code.NotFound));
      expect(rec.grpc_status).toBe(Code.NotFound);
    });

    it("a request that is not gRPC logs no gRPC status", async () => {
      const rec = await record(async (origin) => {
        const res = await undiciFetch(`${gateway!.envoy.url}/not-grpc`, {
          headers: { origin },
          dispatcher: agent,
        });
        await res.arrayBuffer();
      });
      expect(rec.grpc_status ?? null).toBeNull();
    });
  });
});

/** A fetch that sends every call to `path` instead (for methods a generated client lacks). */
function rewritePath(fetch: typeof globalThis.fetch, path: string): typeof globalThis.fetch {
  return (input, init) => {
    const url = new URL(String(input));
    url.pathname = path;
    return fetch(url.toString(), init);
  };
}
