/**
 * The CORS header lists for browsers calling gRPC-Web (and, optionally, Connect)
 * services with a bearer token. The backend kit's `withCors` and the gateway generator
 * put them in their replies; the lint checks configs against them.
 */

/** Request headers gRPC-Web clients send (Connect-ES, Google's grpc-web), plus the token. */
export const CORS_ALLOWED_HEADERS = [
  "content-type",
  "x-grpc-web",
  "x-user-agent",
  "grpc-timeout",
  // A "*" in Access-Control-Allow-Headers never covers authorization: it must be named.
  "authorization",
] as const;

/** Response headers browsers must be able to read: the status of trailers-only replies. */
export const CORS_EXPOSED_HEADERS = [
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
] as const;

/**
 * Request headers Connect protocol clients add (`@connectrpc/connect`'s `cors.allowedHeaders`
 * less the gRPC-Web ones above); the encoding headers are unused by browsers today but
 * listed by Connect for forward compatibility.
 */
export const CONNECT_ALLOWED_HEADERS = [
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-content-encoding",
  "connect-accept-encoding",
  "content-encoding",
  "accept-encoding",
  "grpc-message-type",
] as const;

/** Response headers Connect protocol clients read (`cors.exposedHeaders` less the above). */
export const CONNECT_EXPOSED_HEADERS = ["content-encoding", "connect-content-encoding"] as const;

/** The DPoP proof a client sends with each call (RFC 9449 §7.1). */
export const DPOP_ALLOWED_HEADERS = ["dpop"] as const;

/** The server's nonce and its challenge, which the SDK reads on refusals (RFC 9449 §7.1, §8). */
export const DPOP_EXPOSED_HEADERS = ["dpop-nonce", "www-authenticate"] as const;

/** Which protocols a listener serves to browsers, for {@link corsHeaders}. */
export interface CorsProtocols {
  /** Also the Connect protocol (Connect-ES's `createConnectTransport`). @default false */
  readonly connect?: boolean;
  /** DPoP-bound tokens: the `DPoP` proof header and the nonce and challenge replies. @default false */
  readonly dpop?: boolean;
}

/**
 * The allowed request and exposed response headers, lower case, for a listener that
 * serves gRPC-Web (always), with `connect` the Connect protocol, and with `dpop` DPoP.
 */
export function corsHeaders(protocols: CorsProtocols = {}): {
  allowed: readonly string[];
  exposed: readonly string[];
} {
  return {
    allowed: [
      ...CORS_ALLOWED_HEADERS,
      ...(protocols.connect ? CONNECT_ALLOWED_HEADERS : []),
      ...(protocols.dpop ? DPOP_ALLOWED_HEADERS : []),
    ],
    exposed: [
      ...CORS_EXPOSED_HEADERS,
      ...(protocols.connect ? CONNECT_EXPOSED_HEADERS : []),
      ...(protocols.dpop ? DPOP_EXPOSED_HEADERS : []),
    ],
  };
}
