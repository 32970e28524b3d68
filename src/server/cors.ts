/**
 * CORS for a gRPC-Web/Connect listener that browsers call directly (the development
 * path; in production the gateway answers CORS). Only an explicit list of origins is
 * allowed — no wildcard, no reflection of arbitrary origins, no credentials mode.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { cors as connectCors } from "@connectrpc/connect";
import { corsHeaders } from "../common/cors-headers.js";
import { originProblem } from "../common/origin.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;
/** A Node request handler (http, https or http2 compatibility API). */
export type NodeHandler = (req: Req, res: Res) => void;

export interface CorsOptions {
  /**
   * Origins allowed to call, exactly as browsers send them (`scheme://host[:port]`),
   * https or http to a loopback host. Example: `["https://localhost:5173"]`. A `*`, a
   * path or a plaintext origin elsewhere is refused at startup.
   */
  allowedOrigins: readonly string[];
  /**
   * Extra request headers to allow on top of the gRPC-Web and Connect sets and
   * `authorization` (`corsHeaders({ connect: true })`).
   * @default []
   */
  extraAllowedHeaders?: readonly string[];
  /**
   * Extra response headers to expose on top of `grpc-status`, `grpc-message`,
   * `grpc-status-details-bin` and the Connect set. @default []
   */
  extraExposedHeaders?: readonly string[];
  /** Preflight cache lifetime in seconds. @default 7200 */
  maxAgeSeconds?: number;
  /**
   * DPoP-bound tokens (the authn interceptor's `dpop`): also allow the `DPoP` request
   * header and expose `DPoP-Nonce` and `WWW-Authenticate`, which the SDK reads.
   * @default false
   */
  dpop?: boolean;
}

/**
 * Checks an origin list with the project's one allowed-origin rule (`originProblem`:
 * exact `scheme://host[:port]`, https, or http to a loopback host); throws TypeError
 * naming the first origin that breaks it.
 */
export function validateOrigins(origins: readonly string[]): string[] {
  return origins.map((o) => {
    const why = originProblem(o);
    if (why) throw new TypeError(`allowed origin ${why}`);
    return o;
  });
}

/**
 * Wraps `handler` with CORS. Preflights from allowed origins get 204 with the allowed
 * methods and headers; from any other origin, 403 without CORS headers. Actual requests
 * from a disallowed origin are refused with 403 (they could only come from a page the
 * list does not trust); requests without an Origin header (non-browser clients) pass.
 */
export function withCors(handler: NodeHandler, options: CorsOptions): NodeHandler {
  const origins = new Set(validateOrigins(options.allowedOrigins));
  // This listener speaks Connect as well as gRPC-Web (connect-node serves both).
  const listed = corsHeaders({ connect: true, dpop: options.dpop === true });
  const allowHeaders = dedupe([
    ...listed.allowed,
    ...(options.extraAllowedHeaders ?? []).map((h) => h.toLowerCase()),
  ]).join(", ");
  const exposeHeaders = dedupe([
    ...listed.exposed,
    ...(options.extraExposedHeaders ?? []).map((h) => h.toLowerCase()),
  ]).join(", ");
  const allowMethods = connectCors.allowedMethods.join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 7200);

  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined) {
      handler(req, res);
      return;
    }
    res.setHeader("vary", "origin");
    if (!origins.has(origin)) {
      res.statusCode = 403;
      res.end();
      return;
    }
    res.setHeader("access-control-allow-origin", origin);
    if (req.method === "OPTIONS") {
      res.setHeader("access-control-allow-methods", allowMethods);
      res.setHeader("access-control-allow-headers", allowHeaders);
      res.setHeader("access-control-max-age", maxAge);
      res.statusCode = 204;
      res.end();
      return;
    }
    res.setHeader("access-control-expose-headers", exposeHeaders);
    handler(req, res);
  };
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
