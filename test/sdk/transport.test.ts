// createOidcTransport and authInterceptor against real loopback gRPC-Web servers.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  createOidcTransport,
  InsecureTransportError,
  isSessionEnded,
  SessionEndedError,
  StaticTokenSource,
  tokenSourceFromFunction,
} from "../../src/web/index.js";
import {
  healthClient,
  type Running,
  serving,
  startGrpcWebServer,
  startRawServer,
} from "./helpers/servers.js";

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
async function track(r: Promise<Running>): Promise<Running> {
  const s = await r;
  running.push(s);
  return s;
}

/** A token source that hands out tok-1, tok-2, … and counts forced refreshes. */
function countingTokens() {
  let n = 1;
  const state = { forced: 0, calls: 0 };
  const tokens = tokenSourceFromFunction(({ forceRefresh }) => {
    state.calls++;
    if (forceRefresh) {
      state.forced++;
      n++;
    }
    return `tok-${n}`;
  });
  return { tokens, state };
}

const unauthenticated = () => new ConnectError("bad token", Code.Unauthenticated);

describe("Bearer on every call", () => {
  it("attaches the token to unary and server-streaming calls", async () => {
    const srv = await track(startGrpcWebServer({}));
    const client = healthClient(srv.url, new StaticTokenSource("tok-A"));
    await client.check({});
    const got = [];
    for await (const m of client.watch({})) got.push(m);
    expect(got).toHaveLength(1);
    expect(srv.seen.map((s) => s.authorization)).toEqual(["Bearer tok-A", "Bearer tok-A"]);
  });
});

describe("plaintext refusal", () => {
  it("refuses an http baseUrl before any request leaves (recording server sees nothing)", async () => {
    const srv = await track(startRawServer((_q, r) => r.end()));
    const url = srv.url.replace("127.0.0.1", "localhost");
    expect(() =>
      createOidcTransport({ baseUrl: url, tokens: new StaticTokenSource("tok-secret") }),
    ).toThrow(InsecureTransportError);
    // Also through a relative baseUrl resolved against an http page.
    const g = globalThis as { location?: unknown };
    g.location = { href: `${srv.url}/app/` };
    try {
      expect(() =>
        createOidcTransport({ baseUrl: "/", tokens: new StaticTokenSource("tok-secret") }),
      ).toThrow(InsecureTransportError);
    } finally {
      delete g.location;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.seen).toHaveLength(0);
  });

  it("allowInsecureLoopback permits loopback only", async () => {
    for (const host of ["http://localhost:1", "http://127.0.0.9:1", "http://[::1]:1"]) {
      expect(() =>
        createOidcTransport({
          baseUrl: host,
          tokens: new StaticTokenSource("t"),
          allowInsecureLoopback: true,
        }),
      ).not.toThrow();
    }
    for (const host of [
      "http://example.com",
      "http://127.0.0.1.nip.io",
      "http://localhost.evil.test",
      "http://10.0.0.1",
      "ws://localhost",
    ]) {
      expect(() =>
        createOidcTransport({
          baseUrl: host,
          tokens: new StaticTokenSource("t"),
          allowInsecureLoopback: true,
        }),
      ).toThrow(InsecureTransportError);
    }
  });

  it("the error names the origin but never the path, query or token", () => {
    try {
      createOidcTransport({
        baseUrl: "http://api.example.com/x?access_token=tok-secret",
        tokens: new StaticTokenSource("tok-secret"),
      });
      expect.unreachable();
    } catch (e) {
      expect(String(e)).toContain("http://api.example.com");
      expect(String(e) + JSON.stringify(e)).not.toContain("tok-secret");
    }
  });
});

describe("connect-es issue 1764: grpc-status in headers + empty trailer frame", () => {
  const envoyLocalReply = (status: string) =>
    startRawServer((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/grpc-web+proto",
        "grpc-status": status,
        "grpc-message": "Jwt is missing",
      });
      res.end(Buffer.from([0x80, 0, 0, 0, 0]));
    });

  it("surfaces UNAUTHENTICATED (16) for a unary call instead of Unknown 'missing message'", async () => {
    const srv = await track(envoyLocalReply("16"));
    const client = healthClient(srv.url, new StaticTokenSource("t"), {
      retryUnauthenticated: false,
    });
    const err = await client.check({}).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect((err as ConnectError).rawMessage).toBe("Jwt is missing");
  });

  it("surfaces PERMISSION_DENIED (7) for a server stream", async () => {
    const srv = await track(envoyLocalReply("7"));
    const client = healthClient(srv.url, new StaticTokenSource("t"));
    const err = await (async () => {
      for await (const _ of client.watch({})) {
        /* nothing */
      }
    })().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
    expect(srv.seen).toHaveLength(1);
  });
});

describe("retry after UNAUTHENTICATED", () => {
  it("unary: one forced refresh and exactly one retry with the new token", async () => {
    const srv = await track(
      startGrpcWebServer({
        check: async (_r, ctx) => {
          if (ctx.requestHeader.get("authorization") !== "Bearer tok-2") throw unauthenticated();
          return serving();
        },
      }),
    );
    const { tokens, state } = countingTokens();
    const retries: string[] = [];
    tokens.subscribe((e) => e.type === "retry" && retries.push(e.method));
    const client = healthClient(srv.url, tokens);
    await client.check({});
    expect(srv.seen.map((s) => s.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(state.forced).toBe(1);
    expect(retries).toEqual(["/grpc.health.v1.Health/Check"]);
  });

  it("never retries twice: a second UNAUTHENTICATED is returned to the caller", async () => {
    const srv = await track(
      startGrpcWebServer({
        check: async () => {
          throw unauthenticated();
        },
      }),
    );
    const { tokens, state } = countingTokens();
    const client = healthClient(srv.url, tokens);
    const err = await client.check({}).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect(srv.seen).toHaveLength(2);
    expect(state.forced).toBe(1);
  });

  it("never retries PERMISSION_DENIED", async () => {
    const srv = await track(
      startGrpcWebServer({
        check: async () => {
          throw new ConnectError("no", Code.PermissionDenied);
        },
      }),
    );
    const { tokens, state } = countingTokens();
    const client = healthClient(srv.url, tokens);
    const err = await client.check({}).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
    expect(srv.seen).toHaveLength(1);
    expect(state.forced).toBe(0);
  });

  it("does not force a refresh when the token already changed since the call began", async () => {
    let current = "tok-1";
    let forced = 0;
    const tokens = tokenSourceFromFunction(({ forceRefresh }) => {
      if (forceRefresh) forced++;
      return current;
    });
    const srv = await track(
      startGrpcWebServer({
        check: async (_r, ctx) => {
          if (ctx.requestHeader.get("authorization") === "Bearer tok-1") {
            current = "tok-other-tab"; // another tab refreshed while this call was in flight
            throw unauthenticated();
          }
          return serving();
        },
      }),
    );
    const client = healthClient(srv.url, tokens);
    await client.check({});
    expect(forced).toBe(0);
    expect(srv.seen.map((s) => s.authorization)).toEqual(["Bearer tok-1", "Bearer tok-other-tab"]);
  });

  it("server stream that fails before its first message is replayed with the same request", async () => {
    const services: string[] = [];
    const srv = await track(
      startGrpcWebServer({
        watch: (req, ctx) =>
          (async function* () {
            services.push(req.service);
            if (ctx.requestHeader.get("authorization") !== "Bearer tok-2") throw unauthenticated();
            yield serving();
            yield serving();
          })(),
      }),
    );
    const { tokens, state } = countingTokens();
    const client = healthClient(srv.url, tokens);
    const got = [];
    for await (const m of client.watch({ service: "notes" })) got.push(m);
    expect(got).toHaveLength(2);
    expect(services).toEqual(["notes", "notes"]);
    expect(state.forced).toBe(1);
  });

  it("server stream that fails after its first message is not replayed", async () => {
    const srv = await track(
      startGrpcWebServer({
        watch: () =>
          (async function* () {
            yield serving();
            throw unauthenticated();
          })(),
      }),
    );
    const { tokens, state } = countingTokens();
    const client = healthClient(srv.url, tokens);
    const got: unknown[] = [];
    const err = await (async () => {
      for await (const m of client.watch({})) got.push(m);
    })().catch((e: unknown) => ConnectError.from(e));
    expect(got).toHaveLength(1);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect(srv.seen).toHaveLength(1);
    expect(state.forced).toBe(0);
  });

  it("the retry shares the deadline: grpc-timeout is recomputed from the remaining budget", async () => {
    const srv = await track(
      startGrpcWebServer({
        check: async (_r, ctx) => {
          if (ctx.requestHeader.get("authorization") !== "Bearer tok-2") {
            await new Promise((r) => setTimeout(r, 300));
            throw unauthenticated();
          }
          return serving();
        },
      }),
    );
    const { tokens } = countingTokens();
    const client = healthClient(srv.url, tokens);
    await client.check({}, { timeoutMs: 10_000 });
    const [first, second] = srv.seen.map((s) => Number.parseInt(s.timeout ?? "", 10));
    expect(first).toBe(10_000);
    expect(second).toBeLessThanOrEqual(10_000 - 300);
    expect(second).toBeGreaterThan(0);
  });

  it("no retry once the budget is spent: the call ends with DEADLINE_EXCEEDED", async () => {
    const srv = await track(
      startGrpcWebServer({
        check: async () => {
          await new Promise((r) => setTimeout(r, 400));
          throw unauthenticated();
        },
      }),
    );
    const { tokens } = countingTokens();
    const client = healthClient(srv.url, tokens);
    const err = await client.check({}, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.DeadlineExceeded);
    expect(srv.seen).toHaveLength(1);
  });
});

describe("session end through the interceptor", () => {
  it("a SessionEndedError from the token source fails the call as UNAUTHENTICATED without network", async () => {
    const srv = await track(startGrpcWebServer({}));
    const tokens = tokenSourceFromFunction(() => {
      throw new SessionEndedError("invalid_grant");
    });
    const client = healthClient(srv.url, tokens);
    const err = await client.check({}).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.Unauthenticated);
    expect(isSessionEnded(err)).toBe(true);
    expect(srv.seen).toHaveLength(0);
  });
});
