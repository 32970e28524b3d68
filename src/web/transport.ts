/**
 * `createOidcTransport`: the gRPC-Web transport with the auth interceptor installed, the
 * plaintext guard, and the trailers-only fix.
 */

import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport, type GrpcWebTransportOptions } from "@connectrpc/connect-web";
import { type AuthInterceptorOptions, authInterceptor } from "./auth-interceptor.js";
import { grpcWebFetch } from "./grpc-web-fetch.js";
import { assertSecureUrl } from "./secure-url.js";
import type { TokenSource } from "./token-source.js";

/** Options of {@link createOidcTransport}: the gRPC-Web transport options plus these. */
export interface OidcTransportOptions extends GrpcWebTransportOptions {
  /**
   * Where access tokens come from; usually an `OidcTokenSource`.
   *
   * @example
   * tokens: new OidcTokenSource({ authority, clientId, redirectUri })
   */
  tokens: TokenSource;
  /**
   * Allow a plaintext `http:` base URL, but only to a loopback host (`localhost`,
   * 127.0.0.0/8, `[::1]`), for local development. Without it any non-https `baseUrl` throws
   * `InsecureTransportError` when the transport is created, before any request leaves.
   *
   * @default false
   * @example
   * allowInsecureLoopback: import.meta.env.DEV
   */
  allowInsecureLoopback?: boolean;
  /**
   * Options of the auth interceptor (retry behaviour).
   *
   * @example
   * auth: { retryUnauthenticated: true }
   */
  auth?: AuthInterceptorOptions;
}

/**
 * Create a gRPC-Web `Transport` that attaches `authorization: Bearer <token>` to every call
 * (with DPoP-bound tokens, `authorization: DPoP <token>` and a `DPoP` proof per call),
 * refreshes before expiry, retries once after `UNAUTHENTICATED`, and refuses plaintext.
 * Your own `interceptors` run outside the auth interceptor.
 *
 * @example
 * const transport = createOidcTransport({ baseUrl: "https://api.example.com", tokens });
 * const client = createClient(NotesService, transport);
 */
export function createOidcTransport(options: OidcTransportOptions): Transport {
  const { tokens, allowInsecureLoopback = false, auth, interceptors = [], ...rest } = options;
  // A request URL that starts with the checked base URL's origin and a slash is on that
  // origin: it needs no second parse (a URL object per call is measurable per call).
  const checked = `${assertSecureUrl(options.baseUrl, allowInsecureLoopback).origin}/`;
  const dpop = tokens.dpop;
  const fixed = grpcWebFetch(options.fetch);
  return createGrpcWebTransport({
    ...rest,
    // With DPoP-bound tokens, the DPoP interceptor sits inside the auth interceptor, so each
    // of its attempts (a retry after a refresh included) carries its own proof.
    interceptors: [
      ...interceptors,
      authInterceptor(tokens, auth),
      ...(dpop ? [dpop.interceptor()] : []),
    ],
    // Checked again per request: the URL a call goes to is the one that must be secure.
    fetch: (input, init) => {
      const url = typeof input === "string" || input instanceof URL ? input : input.url;
      if (typeof url !== "string" || !url.startsWith(checked)) {
        assertSecureUrl(url, allowInsecureLoopback);
      }
      return fixed(input, init);
    },
  });
}
