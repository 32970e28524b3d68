/**
 * The development gRPC-Web listener: CORS for the configured origins only, HTTP/2 and
 * HTTP/1.1, gRPC-Web + Connect; and robustness: bad input gets gRPC errors, the
 * server keeps serving.
 */
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { Agent, request } from "node:https";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService, WatchNotesRequestSchema } from "../../demo/gen/demo/v1/notes_pb.js";
import { createNotesService } from "../../demo/server/notes-service.js";
import { LIMITS, startBackend } from "../../demo/server/server.js";
import {
  authorizationHeadersKey,
  createRequestContext,
  principalKey,
} from "../../src/server/index.js";
import { type Fixture, startFixture, WEB_ORIGIN } from "./helpers/fixture.js";
import { grpcClients } from "./helpers/grpc-client.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  alpn: string | false;
}

function http1(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "localhost",
        port: fx.backend.webPort,
        method,
        path,
        headers,
        agent: new Agent({ ca: readFileSync(fx.pki.ca.cert), ALPNProtocols: ["http/1.1"] }),
      },
      (res) => {
        const alpn = (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol;
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, alpn }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function http2(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://localhost:${fx.backend.webPort}`, {
      ca: readFileSync(fx.pki.ca.cert),
    });
    session.on("error", reject);
    const req = session.request({ ":method": method, ":path": path, ...headers });
    req.on("response", (h) => {
      req.resume();
      req.on("end", () => {
        const alpn = session.alpnProtocol ?? false;
        session.close();
        resolve({ status: Number(h[":status"]), headers: h, alpn });
      });
    });
    req.end();
  });
}

const preflight = {
  origin: WEB_ORIGIN,
  "access-control-request-method": "POST",
  "access-control-request-headers":
    "authorization,content-type,x-grpc-web,x-user-agent,grpc-timeout",
};

describe.each([
  ["HTTP/1.1", http1, "http/1.1"],
  ["HTTP/2", http2, "h2"],
] as const)("CORS on the dev listener over %s", (_n, send, alpn) => {
  it("answers a preflight from an allowed origin", async () => {
    const r = await send("OPTIONS", "/demo.v1.NotesService/WhoAmI", preflight);
    expect(r.alpn).toBe(alpn);
    expect(r.status).toBe(204);
    expect(r.headers["access-control-allow-origin"]).toBe(WEB_ORIGIN);
    expect(r.headers["access-control-allow-credentials"]).toBeUndefined();
    const allowed = String(r.headers["access-control-allow-headers"]).split(", ");
    for (const h of [
      "authorization",
      "content-type",
      "x-grpc-web",
      "x-user-agent",
      "grpc-timeout",
    ]) {
      expect(allowed).toContain(h);
    }
    expect(String(r.headers["access-control-allow-methods"])).toContain("POST");
  });

  it("gives a disallowed origin no CORS headers", async () => {
    for (const origin of [
      "https://evil.example",
      "https://localhost:5174",
      "null",
      `${WEB_ORIGIN}.evil.example`,
    ]) {
      const r = await send("OPTIONS", "/demo.v1.NotesService/WhoAmI", { ...preflight, origin });
      expect(r.status).toBe(403);
      expect(r.headers["access-control-allow-origin"]).toBeUndefined();
      const actual = await send("POST", "/demo.v1.NotesService/WhoAmI", {
        origin,
        "content-type": "application/grpc-web+proto",
      });
      expect(actual.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("exposes the gRPC status headers on actual responses", async () => {
    const r = await send("POST", "/grpc.health.v1.Health/Check", {
      origin: WEB_ORIGIN,
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
    });
    expect(r.headers["access-control-allow-origin"]).toBe(WEB_ORIGIN);
    const exposed = String(r.headers["access-control-expose-headers"]).split(", ");
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
      expect(exposed).toContain(h);
    }
  });
});

describe("startup validation", () => {
  it("refuses a wildcard or malformed origin", async () => {
    for (const bad of ["*", "https://localhost:5173/", "localhost:5173"]) {
      await expect(
        startBackend({
          pki: fx.pki,
          issuer: fx.issuer.issuer,
          jwksUri: fx.issuer.jwksUri,
          allowedOrigins: [bad],
        }),
      ).rejects.toThrow(TypeError);
    }
  });
});

describe("bad input gets gRPC errors, never a crash", () => {
  const auth = async () => ({ authorization: `Bearer ${await fx.issuer.user("admin")}` });

  it.each([
    ["ListNotes", { limit: 101 }],
    ["ListNotes", { limit: -1 }],
    ["GetNote", { id: "" }],
    ["GetNote", { id: "x".repeat(65) }],
    ["CreateNote", { text: "" }],
    ["CreateNote", { text: "x".repeat(1001) }],
  ])("%s %j → INVALID_ARGUMENT", async (method, req) => {
    const c = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: fx.pki.gateway,
    });
    try {
      const r = await c.unary("notes", method, req, await auth());
      expect(r.code).toBe(3);
    } finally {
      c.close();
    }
  });

  it.each([
    [{ count: -1, intervalMs: 0 }],
    [{ count: 1001, intervalMs: 0 }],
    [{ count: 1, intervalMs: 60_001 }],
    [{ count: 1000, intervalMs: 60_000 }],
  ])("WatchNotes %j → INVALID_ARGUMENT", async (req) => {
    const client = fx.webClient("connect");
    await expect(async () => {
      for await (const _ of client.watchNotes(req, { headers: await auth() })) {
        // drain
      }
    }).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("GetNote of an unknown id → NOT_FOUND; a 1,000-character note is fine", async () => {
    const client = fx.webClient();
    const headers = await auth();
    await expect(client.getNote({ id: "nope" }, { headers })).rejects.toMatchObject({
      code: Code.NotFound,
    });
    const { note } = await client.createNote({ text: "é".repeat(1000) }, { headers });
    expect((await client.getNote({ id: note!.id }, { headers })).note?.text).toBe("é".repeat(1000));
  });

  it("a message over the size limit → RESOURCE_EXHAUSTED", async () => {
    const client = fx.webClient();
    await expect(
      client.createNote({ text: "x".repeat(LIMITS.readMaxBytes + 1) }, { headers: await auth() }),
    ).rejects.toMatchObject({ code: Code.ResourceExhausted });
  });

  /** One raw gRPC request over HTTP/2; resolves to the grpc-status it ended with. */
  function rawGrpc(path: string, body: Buffer, token: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const s = http2Connect(`https://localhost:${fx.backend.webPort}`, {
        ca: readFileSync(fx.pki.ca.cert),
      });
      s.on("error", reject);
      const req = s.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${token}`,
      });
      let status: string | undefined;
      req.on("response", (h) => {
        status = h["grpc-status"] as string | undefined;
      });
      req.on("trailers", (t) => {
        status = t["grpc-status"] as string | undefined;
      });
      req.on("close", () => {
        s.close();
        resolve(status);
      });
      req.resume();
      req.end(body);
    });
  }

  it("undecodable protobuf, unknown methods and odd requests leave the server serving", async () => {
    const token = await fx.issuer.user("admin");
    // Field 1 (limit) with a truncated varint.
    const truncated = Buffer.from([0, 0, 0, 0, 2, 0x08, 0xff]);
    expect(["3", "13"]).toContain(
      await rawGrpc("/demo.v1.NotesService/ListNotes", truncated, token),
    );
    // Compressed flag without a grpc-encoding, a frame longer than its body, and two messages on unary.
    const bad = [
      Buffer.from([1, 0, 0, 0, 1, 0]),
      Buffer.from([0, 0, 0, 0, 50, 0x08]),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (const body of bad) {
      const status = await rawGrpc("/demo.v1.NotesService/ListNotes", body, token);
      expect(status).toBeDefined();
      expect(status).not.toBe("0");
    }
    // Random frames: every one ends with a gRPC status, none crashes the process.
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 30; i++) {
      const len = rand() % 40;
      const payload = Buffer.from(Array.from({ length: len }, () => rand() & 0xff));
      const body = Buffer.concat([Buffer.from([0, 0, 0, 0, len]), payload]);
      const path = i % 2 ? "/demo.v1.NotesService/CreateNote" : "/demo.v1.NotesService/WatchNotes";
      expect(await rawGrpc(path, body, token)).toMatch(/^\d+$/);
    }
    // An unknown method is a gRPC UNIMPLEMENTED (trailers-only), not a bare 404.
    const unknown = await http1("POST", "/demo.v1.NotesService/Nope", {
      "content-type": "application/grpc-web+proto",
    });
    expect([unknown.status, unknown.headers["grpc-status"]]).toEqual([200, "12"]);
    const get = await http1("GET", "/", {});
    expect(get.status).toBe(404);
    // Still serving.
    const who = await fx.webClient().whoAmI({}, { headers: { authorization: `Bearer ${token}` } });
    expect(who.subject).toBe("admin");
  });
});

describe("header limits", () => {
  it("headers over the limit get RESOURCE_EXHAUSTED on both listeners; serving continues", async () => {
    const token = await fx.issuer.user("reader");
    const pad = "x".repeat(LIMITS.maxHeaderListSize + 1024);
    for (const protocol of ["grpc-web", "connect"] as const) {
      const err = await fx
        .webClient(protocol)
        .whoAmI({}, { headers: { authorization: `Bearer ${token}`, "x-pad": pad } })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(err?.code).toBe(Code.ResourceExhausted);
    }
    const c = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: fx.pki.gateway,
    });
    try {
      const r = await c.unary(
        "notes",
        "WhoAmI",
        {},
        { authorization: `Bearer ${token}`, "x-pad": pad },
      );
      expect(r.code).toBe(8);
      const ok = await c.unary("notes", "WhoAmI", {}, { authorization: `Bearer ${token}` });
      expect(ok.code).toBe(0);
    } finally {
      c.close();
    }
    expect(
      fx.records.filter((r) => (r as { event?: string }).event === "headers-too-large").length,
    ).toBe(2);
    const who = await fx.webClient().whoAmI({}, { headers: { authorization: `Bearer ${token}` } });
    expect(who.subject).toBe("reader");
  });

  it("records every raw authorization header, which Node's merged headers would hide", () => {
    const ctx = createRequestContext()({
      rawHeaders: [":path", "/x", "Authorization", "Bearer a", "authorization", "Bearer b"],
      socket: null,
    } as never);
    expect(ctx.get(authorizationHeadersKey)).toEqual(["Bearer a", "Bearer b"]);
  });
});

describe("WatchNotes", () => {
  it("streams count events in order", async () => {
    const client = fx.webClient();
    const seqs: number[] = [];
    for await (const m of client.watchNotes(
      { count: 5, intervalMs: 1 },
      { headers: { authorization: `Bearer ${await fx.issuer.user("reader")}` } },
    )) {
      seqs.push(m.seq);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it("stops producing when the client goes away", async () => {
    const impl = createNotesService();
    const ac = new AbortController();
    const values = createContextValues().set(principalKey, {
      subject: "s",
      scopes: ["notes.read"],
      roles: [],
      claims: {},
      expiresAt: 0,
    });
    const ctx = createHandlerContext({
      service: NotesService,
      method: NotesService.method.watchNotes,
      protocolName: "test",
      requestMethod: "POST",
      url: "/",
      requestSignal: ac.signal,
      contextValues: values,
    });
    const it = impl.watchNotes!(
      create(WatchNotesRequestSchema, { count: 3, intervalMs: 60_000 }),
      ctx,
    )[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ seq: 1 });
    const pending = it.next(); // now waiting 60 s for the next tick
    ac.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    // Ends at once, with the abort's reason as its status (not OK after a cut stream).
    await expect(pending).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });
});
