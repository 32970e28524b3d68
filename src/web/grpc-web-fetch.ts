/**
 * A `fetch` wrapper for gRPC-Web responses, installed by `createOidcTransport`.
 *
 * connect-web 2.x reports `Unknown: missing message` when a 200 response carries a non-zero
 * `grpc-status` in its HTTP headers and a body holding only an empty trailer frame
 * (`80 00 00 00 00`): connect-es issues 1434, 1475, 1650, 1764 (fix PR 1773 open). Envoy's
 * local replies (jwt_authn, rbac) take exactly this shape, so without this fix every auth
 * failure at the gateway looks like Unknown. Per the gRPC spec such a response is
 * "trailers-only": the headers are the status. We drop the body so connect-web reads the
 * status from the headers.
 */

/**
 * Wrap `inner` (default: the global `fetch`, looked up at call time) so that trailers-only
 * gRPC-Web responses surface their real status code.
 *
 * @example
 * createGrpcWebTransport({ baseUrl, fetch: grpcWebFetch() });
 */
export function grpcWebFetch(inner?: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const res = await (inner ?? globalThis.fetch)(input, init);
    const status = res.headers.get("grpc-status");
    if (res.status === 200 && status !== null && status.trim() !== "0" && res.body !== null) {
      // The body can only be an (empty) trailer frame; release the connection.
      res.body.cancel().catch(() => {});
      return new Response(null, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    }
    return res;
  };
}
