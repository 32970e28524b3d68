// Real loopback HTTP(S) servers for SDK transport tests: a gRPC-Web server (connect-node) for
// grpc.health.v1.Health whose behaviour each test scripts, and a raw recorder that answers
// with fixed bytes. Both listen on ephemeral ports and record every request they receive.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import {
  type Client,
  type ConnectRouter,
  createClient,
  type HandlerContext,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../../src/gen/grpc/health/v1/health_pb.js";
import {
  type AuthInterceptorOptions,
  createOidcTransport,
  type TokenSource,
} from "../../../src/web/index.js";

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | null;
  timeout: string | null;
  headers: Record<string, string | string[] | undefined>;
}

export interface Running {
  url: string;
  seen: SeenRequest[];
  stop(): Promise<void>;
}

/**
 * Room for this many connections the kernel has accepted but the server has not yet picked up.
 * Node's default (511) is less than the 1,000 calls a test starts at once from this same
 * process (fetch opens one connection per call): the connects beyond it were dropped and
 * retried by SYN retransmission (1 s, 3 s, 7 s, 15 s), and on a busy machine the retry came
 * after undici's 10 s connect timeout ("fetch failed", UND_ERR_CONNECT_TIMEOUT).
 */
const BACKLOG = 2048;

async function listen(server: Server, origin = "http://127.0.0.1"): Promise<string> {
  await new Promise<void>((r) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: BACKLOG }, r),
  );
  const { port } = server.address() as AddressInfo;
  return `${origin}:${port}`;
}

function stopper(server: Server) {
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
}

export const serving = (): HealthCheckResponse =>
  create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });

export interface HealthBehaviour {
  check?(req: HealthCheckRequest, ctx: HandlerContext, n: number): Promise<HealthCheckResponse>;
  watch?(
    req: HealthCheckRequest,
    ctx: HandlerContext,
    n: number,
  ): AsyncIterable<HealthCheckResponse>;
}

/**
 * A gRPC-Web server (connect-node, grpc-web protocol only) for the Health service; with `tls`,
 * https at `https://localhost:<port>`.
 */
export async function startGrpcWebServer(
  behaviour: HealthBehaviour,
  tls?: { cert: Buffer; key: Buffer },
): Promise<Running> {
  const seen: SeenRequest[] = [];
  let checks = 0;
  let watches = 0;
  const routes = (router: ConnectRouter) =>
    router.service(Health, {
      check: (req, ctx) => behaviour.check?.(req, ctx, ++checks) ?? Promise.resolve(serving()),
      watch: (req, ctx) =>
        behaviour.watch?.(req, ctx, ++watches) ??
        (async function* () {
          yield serving();
        })(),
    });
  const handler = connectNodeAdapter({ routes, grpcWeb: true, connect: false, grpc: false });
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(record(req));
    handler(req, res);
  };
  const server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
  const url = await listen(server, tls ? "https://localhost" : undefined);
  return { url, seen, stop: stopper(server) };
}

/** A Health client through `createOidcTransport` to `url`, plaintext loopback allowed. */
export function healthClient(
  url: string,
  tokens: TokenSource,
  auth?: AuthInterceptorOptions,
): Client<typeof Health> {
  return createClient(
    Health,
    createOidcTransport({ baseUrl: url, tokens, allowInsecureLoopback: true, auth }),
  );
}

function record(req: IncomingMessage): SeenRequest {
  return {
    method: req.method ?? "",
    url: req.url ?? "",
    authorization: (req.headers.authorization as string | undefined) ?? null,
    timeout: (req.headers["grpc-timeout"] as string | undefined) ?? null,
    headers: { ...req.headers },
  };
}

/** A server that records requests and answers each with `respond`. */
export async function startRawServer(
  respond: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Running> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push(record(req));
    req.resume();
    req.on("end", () => respond(req, res));
  });
  return { url: await listen(server), seen, stop: stopper(server) };
}
