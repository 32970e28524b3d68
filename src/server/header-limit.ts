/**
 * A cap on the size of request headers. Node's HTTP/2 server advertises
 * SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce it on what it receives (checked on
 * Node 24: a 5 KB header passes a 1 KB setting), so the cap is applied here, before
 * Connect or any interceptor runs. Size is counted as HTTP/2 does: name + value + 32 per field.
 */
import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { NodeHandler } from "./cors.js";

export interface HeaderLimitOptions {
  /**
   * Largest accepted header list in bytes (HTTP/2 accounting).
   * @default 32768
   */
  maxBytes?: number;
  /** Called for each refusal with the measured size (never the header values). */
  onRefused?: (info: { path: string; bytes: number }) => void;
}

/** Size of a raw header list as HTTP/2 counts it. */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    size += rawHeaders[i]!.length + rawHeaders[i + 1]!.length + 32;
  }
  return size;
}

/**
 * Wraps `handler`: requests whose headers exceed the limit get RESOURCE_EXHAUSTED in the
 * caller's protocol (trailers-only for gRPC and gRPC-Web, HTTP 431 otherwise).
 */
export function limitRequestHeaders(
  handler: NodeHandler,
  options: HeaderLimitOptions = {},
): NodeHandler {
  const maxBytes = options.maxBytes ?? 32 * 1024;
  return (req, res) => {
    const bytes = headerListSize(req.rawHeaders);
    if (bytes <= maxBytes) {
      handler(req, res);
      return;
    }
    options.onRefused?.({ path: (req.url ?? "").split("?")[0] ?? "", bytes });
    const contentType = String(req.headers["content-type"] ?? "");
    const message = "request headers too large";
    if (
      contentType.startsWith("application/grpc") &&
      !contentType.startsWith("application/grpc-web")
    ) {
      const h2 = res as Http2ServerResponse;
      if ("stream" in h2 && h2.stream) {
        h2.stream.respond(
          {
            ":status": 200,
            "content-type": contentType,
            "grpc-status": "8",
            "grpc-message": message,
          },
          { endStream: true },
        );
        return;
      }
    }
    const r = res as ServerResponse;
    if (contentType.startsWith("application/grpc")) {
      r.statusCode = 200;
      r.setHeader("content-type", contentType);
      r.setHeader("grpc-status", "8");
      r.setHeader("grpc-message", message);
      r.end();
      return;
    }
    r.statusCode = 431;
    r.setHeader("content-type", "application/json");
    r.end(JSON.stringify({ code: "resource_exhausted", message }));
  };
}
