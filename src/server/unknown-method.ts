/**
 * The reply to a path no service answers. connect-node's default is a bare HTTP 404,
 * which each client reads its own way (Google's grpc-web: UNIMPLEMENTED "Http response
 * at 400 or 500 level"; Connect-ES: UNIMPLEMENTED "HTTP 404"); a gRPC or gRPC-Web caller
 * here gets what a gRPC server sends: HTTP 200, trailers-only, UNIMPLEMENTED with one
 * message, in the caller's content type. Other callers keep the 404.
 */
import type { ServerResponse } from "node:http";
import { constants, type Http2ServerResponse } from "node:http2";
import { Code } from "@connectrpc/connect";
import type { NodeHandler } from "./cors.js";
import { GRPC_WEB_TEXT_RESPONSE_TYPE, isGrpcWebText } from "./grpc-web-text.js";

/** The message of every UNIMPLEMENTED reply to an unknown path. */
export const UNKNOWN_METHOD_MESSAGE = "unknown method";

/** Answers gRPC and gRPC-Web requests to unknown paths with UNIMPLEMENTED; others with 404. */
export const unknownMethodFallback: NodeHandler = (req, res) => {
  const r = res as ServerResponse;
  const contentType = String(req.headers["content-type"] ?? "");
  const replyType = isGrpcWebText(contentType)
    ? GRPC_WEB_TEXT_RESPONSE_TYPE
    : contentType.startsWith("application/grpc-web")
      ? "application/grpc-web+proto"
      : contentType.startsWith("application/grpc")
        ? "application/grpc"
        : undefined;
  // The request body is read and dropped, so an unread body never stalls or resets the stream.
  req.resume();
  if (replyType === undefined) {
    r.writeHead(404);
    r.end();
    return;
  }
  const headers = {
    "content-type": replyType,
    "grpc-status": String(Code.Unimplemented),
    "grpc-message": UNKNOWN_METHOD_MESSAGE,
  };
  // On HTTP/2 a trailers-only reply is one HEADERS frame that ends the stream: gRPC clients
  // (grpcio, grpc-go) refuse headers followed by an empty DATA frame, which writeHead+end sends.
  const h2 = res as Http2ServerResponse;
  if ("stream" in h2 && h2.stream && !h2.stream.headersSent) {
    const stream = h2.stream;
    // Headers set on the response before this handler (CORS) go out with it.
    stream.respond({ ...h2.getHeaders(), ":status": 200, ...headers }, { endStream: true });
    // A client still sending is told to stop without error once the reply is out (RFC 9113
    // §8.1: RST_STREAM with NO_ERROR after a complete response), as connect-node does.
    setImmediate(() => {
      if (!stream.closed && stream.state.remoteClose === 0)
        stream.close(constants.NGHTTP2_NO_ERROR);
    });
    return;
  }
  r.writeHead(200, headers);
  r.end();
};
