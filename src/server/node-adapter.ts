/**
 * connect-node's adapter (`connectNodeAdapter`), plus what browsers' other gRPC-Web
 * clients need: `application/grpc-web-text` requests are translated to binary gRPC-Web
 * and their replies back to text (grpc-web-text.ts), and unknown paths get a gRPC
 * UNIMPLEMENTED instead of a bare 404 (unknown-method.ts). Everything else — routing,
 * interceptors, limits, compression — is connect-node's own, unchanged.
 */
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  type ConnectNodeAdapterOptions,
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { NodeHandler } from "./cors.js";
import { binaryResponseToText, isGrpcWebText, textRequestToBinary } from "./grpc-web-text.js";
import { unknownMethodFallback } from "./unknown-method.js";

/** `connectNodeAdapter`'s options; `fallback` defaults to `unknownMethodFallback`. */
export type NodeAdapterOptions = ConnectNodeAdapterOptions;

/**
 * Creates the Node request handler (http, https or http2 compatibility API).
 * Example: `createSecureServer(tls, withCors(createNodeAdapter({ routes }), cors))`.
 */
export function createNodeAdapter(options: NodeAdapterOptions): NodeHandler {
  const router = createConnectRouter({
    ...options,
    acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli],
  });
  options.routes(router);
  const prefix = options.requestPathPrefix ?? "";
  const paths = new Map<string, UniversalHandler>();
  for (const h of router.handlers) paths.set(prefix + h.requestPath, h);
  const fallback = options.fallback ?? unknownMethodFallback;
  // Text is a gRPC-Web format: served only where gRPC-Web is.
  const textEnabled = options.grpcWeb !== false;

  return (req, res) => {
    const handler = paths.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) {
      fallback(req, res);
      return;
    }
    const text = textEnabled && isGrpcWebText(req.headers["content-type"]);
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues?.(req));
    handler(text ? textRequestToBinary(uReq) : uReq)
      .then((uRes) =>
        universalResponseToNodeResponse(text ? binaryResponseToText(uRes) : uRes, res),
      )
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        console.error(
          `handler for rpc ${handler.method.name} of ${handler.service.typeName} failed`,
          reason,
        );
      });
  };
}
