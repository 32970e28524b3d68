import { type ContextValues, createContextKey } from "@connectrpc/connect";
import type { Principal } from "../access/index.js";
import type { PeerIdentity } from "./peer-identity.js";

/** A caller established from a verified access token. */
export interface AuthenticatedPrincipal extends Principal {
  /** Every verified claim of the token (never the token itself). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Expiry of the presented token, in Unix seconds. */
  readonly expiresAt: number;
}

/** The verified caller, set by the authentication interceptor; undefined on public calls. */
export const principalKey = createContextKey<AuthenticatedPrincipal | undefined>(undefined, {
  description: "grpc-web-oidc principal",
});

/** The mTLS peer (the gateway), set from the TLS socket; undefined without a client certificate. */
export const peerKey = createContextKey<PeerIdentity | undefined>(undefined, {
  description: "grpc-web-oidc mTLS peer",
});

/**
 * Every `authorization` header value as received on the wire. Node keeps only the first
 * of repeated `authorization` headers in `req.headers`, so the adapter reads them from
 * `rawHeaders`; undefined means "not recorded" and the interceptor falls back to the
 * merged request header.
 */
export const authorizationHeadersKey = createContextKey<readonly string[] | undefined>(undefined, {
  description: "grpc-web-oidc raw authorization headers",
});

/**
 * Every `DPoP` header value as received (RFC 9449 §4.3 refuses more than one; Node
 * joins repeats with a comma in `req.headers`). Undefined means "not recorded".
 */
export const dpopHeadersKey = createContextKey<readonly string[] | undefined>(undefined, {
  description: "grpc-web-oidc raw DPoP headers",
});

/** Remote address of the connection (`ip:port`), for denial logs. */
export const remoteAddressKey = createContextKey<string | undefined>(undefined, {
  description: "grpc-web-oidc remote address",
});

/** Who called, for denial logs: the mTLS peer identity, else the remote address, else "". */
export function callerOf(values: ContextValues): string {
  return values.get(peerKey)?.id ?? values.get(remoteAddressKey) ?? "";
}
