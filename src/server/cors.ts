/**
 * CORS for a gRPC-Web/Connect listener that browsers call directly (the development
 * path; in production the gateway answers CORS). Only an explicit list of origins is
 * allowed — no wildcard, no reflection of arbitrary origins, no credentials mode.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { cors as connectCors } from "@connectrpc/connect";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;
/** A Node request handler (http, https or http2 compatibility API). */
export type NodeHandler = (req: Req, res: Res) => void;

export interface CorsOptions {
  /**
   * Origins allowed to call, exactly as browsers send them (`scheme://host[:port]`).
   * Example: `["https://localhost:5173"]`. A `*` or a path is refused at startup.
   */
  allowedOrigins: readonly string[];
  /**
   * Extra request headers to allow on top of the gRPC-Web/Connect set and `authorization`.
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
}

/** Request headers a gRPC-Web or Connect browser client sends, plus the bearer token. */
export const CORS_ALLOWED_HEADERS: readonly string[] = dedupe([
  "authorization",
  "content-type",
  "x-grpc-web",
  "x-user-agent",
  "grpc-timeout",
  ...connectCors.allowedHeaders.map((h) => h.toLowerCase()),
]);

/** Response headers (and trailers sent as headers) the browser client must read. */
export const CORS_EXPOSED_HEADERS: readonly string[] = dedupe([
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  ...connectCors.exposedHeaders.map((h) => h.toLowerCase()),
]);

/** Checks an origin list (throws TypeError on `*`, paths, or non-http(s) origins). */
export function validateOrigins(origins: readonly string[]): string[] {
  return origins.map((o) => {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new TypeError(`allowed origin ${JSON.stringify(o)} is not a URL`);
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== o) {
      throw new TypeError(
        `allowed origin ${JSON.stringify(o)} must be exactly scheme://host[:port] (no *, path or slash)`,
      );
    }
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
  const allowHeaders = dedupe([
    ...CORS_ALLOWED_HEADERS,
    ...(options.extraAllowedHeaders ?? []).map((h) => h.toLowerCase()),
  ]).join(", ");
  const exposeHeaders = dedupe([
    ...CORS_EXPOSED_HEADERS,
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
