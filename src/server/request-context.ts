/**
 * Context values for each request, taken from the Node request before Connect sees
 * it: the mTLS peer and the raw `authorization` and `DPoP` headers (Node's
 * `req.headers` keeps only the first of repeated `authorization` headers, which would
 * hide a smuggled second one, and joins repeated `DPoP` headers). Pass the result as `connectNodeAdapter({ contextValues })`.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { type ContextValues, createContextValues } from "@connectrpc/connect";
import { authorizationHeadersKey, dpopHeadersKey, peerKey, remoteAddressKey } from "./context.js";
import { type PeerAllowList, peerIdentityFromRequest } from "./peer-identity.js";

export interface RequestContextOptions {
  /**
   * When set, the peer is read from the TLS socket and must be on this list; a request
   * from any other peer gets no peer value (and the mTLS listener closes such
   * connections at the handshake already). @default undefined (no peer read)
   */
  peers?: PeerAllowList;
}

/** Builds the `contextValues` function for `connectNodeAdapter`. */
export function createRequestContext(
  options: RequestContextOptions = {},
): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  return (req) => {
    const values = createContextValues();
    const auth: string[] = [];
    const dpop: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name === "authorization") auth.push(raw[i + 1]!);
      else if (name === "dpop") dpop.push(raw[i + 1]!);
    }
    values.set(authorizationHeadersKey, auth);
    values.set(dpopHeadersKey, dpop);
    const socket = req.socket;
    if (socket?.remoteAddress) {
      values.set(remoteAddressKey, `${socket.remoteAddress}:${socket.remotePort ?? 0}`);
    }
    if (options.peers) {
      const peer = options.peers.match(peerIdentityFromRequest(req));
      if (peer) values.set(peerKey, peer);
    }
    return values;
  };
}
