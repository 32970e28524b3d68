/**
 * `application/grpc-web-text` (Google's grpc-web default) on the backend kit's gRPC-Web
 * listener: base64 bodies in and out, unary and server streaming, padding between
 * chunks, malformed and oversized bodies refused in gRPC terms, refusals and unknown
 * methods read as in the binary format, CORS unchanged.
 */
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateNoteRequestSchema,
  ListNotesRequestSchema,
  WatchNotesRequestSchema,
  WatchNotesResponseSchema,
  WhoAmIResponseSchema,
} from "../../demo/gen/demo/v1/notes_pb.js";
import { LIMITS } from "../../demo/server/server.js";
import {
  decodeBase64Stream,
  encodeBase64Frames,
  PERMISSION_DENIED_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  UNKNOWN_METHOD_MESSAGE,
} from "../../src/server/index.js";
import {
  frame,
  grpcWebCall,
  parseFrames,
  percentDecode,
  type WireFormat,
} from "../helpers/grpc-web-wire.js";
import { type Fixture, startFixture, WEB_ORIGIN } from "./helpers/fixture.js";

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function decodeError(...parts: string[]): Promise<ConnectError | undefined> {
  try {
    await collect(decodeBase64Stream(chunks(...parts)));
    return undefined;
  } catch (err) {
    return ConnectError.from(err);
  }
}

describe("decodeBase64Stream", () => {
  const bytes = new Uint8Array(Array.from({ length: 47 }, (_, i) => (i * 37) % 256));
  const b64 = Buffer.from(bytes).toString("base64");

  it("decodes a body split at every one of its positions", async () => {
    for (let cut = 0; cut <= b64.length; cut++) {
      const out = await collect(decodeBase64Stream(chunks(b64.slice(0, cut), b64.slice(cut))));
      expect(Buffer.from(out).equals(Buffer.from(bytes)), `cut at ${cut}`).toBe(true);
    }
  });

  it("decodes separately padded chunks back to back (padding between chunks)", async () => {
    const parts = [
      bytes.subarray(0, 1),
      bytes.subarray(1, 3),
      bytes.subarray(3, 6),
      bytes.subarray(6),
    ];
    const text = parts.map((p) => Buffer.from(p).toString("base64"));
    expect(text[0]!.endsWith("==")).toBe(true);
    expect(text[1]!.endsWith("=")).toBe(true);
    const out = await collect(decodeBase64Stream(chunks(text.join(""))));
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ["a character outside the alphabet", ["AAA*"]],
    ["whitespace", ["AAAA AAA"]],
    ["URL-safe characters", ["AA-_"]],
    ["padding in the first half of a quantum", ["A===", "AAAA"]],
    ["a character after padding", ["AA=A"]],
    ["a length that is not a multiple of 4", ["AAAAA"]],
    ["non-ASCII bytes", ["AAA\u00e9"]],
  ])("refuses %s as INVALID_ARGUMENT", async (_name, parts) => {
    const err = await decodeError(...parts);
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toMatch(/^invalid grpc-web-text request body: /);
  });
});

describe("encodeBase64Frames", () => {
  it("writes base64 of whole frames only, however the frames were cut", async () => {
    const frames = [
      frame(new Uint8Array([1, 2, 3])),
      frame(new Uint8Array(0)),
      frame(new Uint8Array(300).fill(7), 0x80),
    ];
    const binary = Buffer.concat(frames);
    // Cut into 7-byte pieces, so frames straddle chunks.
    const pieces = (async function* () {
      for (let i = 0; i < binary.length; i += 7) yield new Uint8Array(binary.subarray(i, i + 7));
    })();
    const written: string[] = [];
    for await (const c of encodeBase64Frames(pieces)) written.push(Buffer.from(c).toString());
    let total = 0;
    for (const w of written) {
      expect(w.length % 4).toBe(0);
      const decoded = Buffer.from(w, "base64");
      total += parseFrames(decoded).reduce((n, f) => n + 5 + f.payload.length, 0);
      expect(parseFrames(decoded).length).toBeGreaterThan(0);
    }
    expect(total).toBe(binary.length);
  });
});

describe("the gRPC-Web dev listener, text format", () => {
  let fx: Fixture;
  let agent: Agent;
  beforeAll(async () => {
    fx = await startFixture();
    agent = new Agent({ connect: { ca: readFileSync(fx.pki.ca.cert, "utf8") }, allowH2: true });
  });
  afterAll(async () => {
    await agent?.close();
    await fx?.close();
  });

  const call = (path: string, messages: Uint8Array[], format: WireFormat, headers = {}) =>
    grpcWebCall({
      baseUrl: `https://localhost:${fx.backend.webPort}`,
      path,
      messages,
      format,
      headers,
      dispatcher: agent,
    });
  const bearer = async (name: "reader" | "writer" | "admin") => ({
    authorization: `Bearer ${await fx.issuer.user(name)}`,
  });

  it("answers a unary call in text: application/grpc-web-text+proto, the message, grpc-status 0", async () => {
    const reply = await call(
      "/demo.v1.NotesService/WhoAmI",
      [new Uint8Array(0)],
      "text",
      await bearer("reader"),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/grpc-web-text+proto");
    expect(reply.messages).toHaveLength(1);
    expect(fromBinary(WhoAmIResponseSchema, reply.messages[0]!).subject).toBe("reader");
    expect(reply.grpcStatus).toBe("0");
  });

  it("streams a server stream in text, each message as it comes", async () => {
    const req = toBinary(
      WatchNotesRequestSchema,
      create(WatchNotesRequestSchema, { count: 4, intervalMs: 5 }),
    );
    const reply = await call(
      "/demo.v1.NotesService/WatchNotes",
      [req],
      "text",
      await bearer("reader"),
    );
    expect(reply.messages.map((m) => fromBinary(WatchNotesResponseSchema, m).seq)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(reply.grpcStatus).toBe("0");
  });

  it("sends every DATA chunk of a stream as base64 of whole frames", async () => {
    const token = (await bearer("reader")).authorization;
    const req = toBinary(
      WatchNotesRequestSchema,
      create(WatchNotesRequestSchema, { count: 3, intervalMs: 20 }),
    );
    const session = http2Connect(`https://localhost:${fx.backend.webPort}`, {
      ca: readFileSync(fx.pki.ca.cert),
    });
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/demo.v1.NotesService/WatchNotes",
        "content-type": "application/grpc-web-text",
        accept: "application/grpc-web-text",
        authorization: token,
      });
      stream.end(Buffer.from(frame(req)).toString("base64"));
      const received: string[] = [];
      for await (const c of stream) received.push(Buffer.from(c as Buffer).toString("latin1"));
      expect(received.length).toBeGreaterThanOrEqual(4); // 3 messages and the trailers, as they come
      for (const r of received) {
        expect(r.length % 4).toBe(0);
        // Decodable alone, to complete frames (concatenated chunks may each end in padding).
        const whole = Buffer.concat(
          (r.match(/[^=]*=*/g) ?? []).filter(Boolean).map((q) => Buffer.from(q, "base64")),
        );
        expect(() => parseFrames(whole)).not.toThrow();
      }
    } finally {
      session.close();
    }
  });

  it("accepts a request body sent as separately padded base64 chunks", async () => {
    const msg = toBinary(
      CreateNoteRequestSchema,
      create(CreateNoteRequestSchema, { text: "padded" }),
    );
    const framed = frame(msg);
    const body = [framed.subarray(0, 4), framed.subarray(4, 6), framed.subarray(6)]
      .map((p) => Buffer.from(p).toString("base64"))
      .join("");
    expect(body.indexOf("=")).toBeLessThan(body.length - 2); // padding inside the body
    const res = await fetchRaw("/demo.v1.NotesService/CreateNote", body, await bearer("writer"));
    expect(res.grpcStatus).toBe("0");
  });

  /** A text call whose body is given as is (already base64, or deliberately not). */
  async function fetchRaw(
    path: string,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
  ) {
    const { fetch } = await import("undici");
    const res = await fetch(`https://localhost:${fx.backend.webPort}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/grpc-web-text",
        accept: "application/grpc-web-text",
        ...headers,
      },
      body,
      dispatcher: agent,
    });
    const text = await res.text();
    const frames = parseFrames(
      Buffer.concat(
        (text.match(/[^=]*=*/g) ?? []).filter(Boolean).map((q) => Buffer.from(q, "base64")),
      ),
    );
    const trailer = frames.find((f) => f.flag & 0x80);
    const lines = trailer ? Buffer.from(trailer.payload).toString("latin1").split("\r\n") : [];
    const get = (name: string) =>
      lines
        .find((l) => l.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim() ?? res.headers.get(name);
    return {
      status: res.status,
      contentType: res.headers.get("content-type"),
      grpcStatus: get("grpc-status"),
      grpcMessage: percentDecode(get("grpc-message")),
    };
  }

  it("refuses malformed base64 with INVALID_ARGUMENT, in text, and keeps serving", async () => {
    for (const body of ["AAAA*AAA", "AAAAA", "AA=A"]) {
      const res = await fetchRaw("/demo.v1.NotesService/WhoAmI", body, await bearer("reader"));
      expect(res.status, body).toBe(200);
      expect(res.contentType, body).toBe("application/grpc-web-text+proto");
      expect(res.grpcStatus, body).toBe(String(Code.InvalidArgument));
      expect(res.grpcMessage, body).toMatch(/invalid grpc-web-text request body/);
    }
    const ok = await call(
      "/demo.v1.NotesService/WhoAmI",
      [new Uint8Array(0)],
      "text",
      await bearer("reader"),
    );
    expect(ok.grpcStatus).toBe("0");
  });

  it.each<WireFormat>(["text", "binary"])(
    "refuses a message over the read limit with RESOURCE_EXHAUSTED (%s)",
    async (format) => {
      const big = toBinary(
        CreateNoteRequestSchema,
        create(CreateNoteRequestSchema, { text: "x".repeat(LIMITS.readMaxBytes + 1) }),
      );
      const reply = await call(
        "/demo.v1.NotesService/CreateNote",
        [big],
        format,
        await bearer("writer"),
      );
      expect(reply.grpcStatus).toBe(String(Code.ResourceExhausted));
    },
  );

  it.each<WireFormat>(["text", "binary"])(
    "refuses a missing token, a missing scope and an unknown method as in every format (%s)",
    async (format) => {
      const list = toBinary(ListNotesRequestSchema, create(ListNotesRequestSchema, {}));
      const missing = await call("/demo.v1.NotesService/ListNotes", [list], format);
      expect([missing.status, missing.grpcStatus, missing.grpcMessage]).toEqual([
        200,
        String(Code.Unauthenticated),
        UNAUTHENTICATED_MESSAGE,
      ]);
      const denied = await call(
        "/demo.v1.NotesService/PurgeNotes",
        [new Uint8Array(0)],
        format,
        await bearer("reader"),
      );
      expect([denied.grpcStatus, denied.grpcMessage]).toEqual([
        String(Code.PermissionDenied),
        PERMISSION_DENIED_MESSAGE,
      ]);
      const unknown = await call(
        "/demo.v1.NotesService/DropTables",
        [new Uint8Array(0)],
        format,
        await bearer("admin"),
      );
      expect(unknown.status).toBe(200);
      expect(unknown.headers.get("content-type")).toBe(
        format === "text" ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
      );
      expect([unknown.grpcStatus, unknown.grpcMessage, unknown.trailerFrame]).toEqual([
        String(Code.Unimplemented),
        UNKNOWN_METHOD_MESSAGE,
        false,
      ]);
    },
  );

  it("keeps CORS as it was: the text request's preflight and the exposed status headers", async () => {
    const { fetch } = await import("undici");
    const pre = await fetch(`https://localhost:${fx.backend.webPort}/demo.v1.NotesService/WhoAmI`, {
      method: "OPTIONS",
      headers: {
        origin: WEB_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "content-type,x-grpc-web,x-user-agent,grpc-timeout,authorization",
      },
      dispatcher: agent,
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    const reply = await call("/demo.v1.NotesService/WhoAmI", [new Uint8Array(0)], "text", {
      origin: WEB_ORIGIN,
      ...(await bearer("reader")),
    });
    expect(reply.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect(reply.headers.get("access-control-expose-headers")).toContain("grpc-status");
    // The unknown-method reply too (it is written on the HTTP/2 stream directly).
    for (const format of ["text", "binary"] as const) {
      const unknown = await call("/demo.v1.NotesService/DropTables", [new Uint8Array(0)], format, {
        origin: WEB_ORIGIN,
      });
      expect(unknown.grpcStatus, format).toBe(String(Code.Unimplemented));
      expect(unknown.headers.get("access-control-allow-origin"), format).toBe(WEB_ORIGIN);
      expect(unknown.headers.get("access-control-expose-headers"), format).toContain("grpc-status");
    }
    const stranger = await call("/demo.v1.NotesService/WhoAmI", [new Uint8Array(0)], "text", {
      origin: "https://evil.example",
      ...(await bearer("reader")),
    });
    expect(stranger.status).toBe(403);
  });

  it("leaves the Connect protocol's unknown paths a plain 404", async () => {
    const { fetch } = await import("undici");
    const res = await fetch(
      `https://localhost:${fx.backend.webPort}/demo.v1.NotesService/DropTables`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        dispatcher: agent,
      },
    );
    await res.arrayBuffer();
    expect(res.status).toBe(404);
  });
});
