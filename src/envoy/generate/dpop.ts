/**
 * DPoP at the gateway (RFC 9449). Envoy cannot check proofs itself, so:
 *   - jwt_authn takes the token from `Authorization: DPoP …` (and `Bearer …` only when
 *     unbound Bearer tokens are allowed), verifies it and puts its payload in metadata;
 *   - the ext_authz filter right after it calls the backend kit's verifier service
 *     (`createDpopAuthzService`) over the upstream's mTLS cluster with the method, the
 *     path, the `authorization` and `dpop` headers and jwt_authn's metadata; the public
 *     origin (htu) travels in the route's `context_extensions` from gateway.yaml;
 *   - it fails closed (`failure_mode_allow: false`) and is time-bounded: a verifier that
 *     is down or slow makes the call UNAVAILABLE (503 → grpc-status 14), never allowed;
 *   - public routes (health) skip it, like they skip jwt_authn.
 */
import { type JsonObject, seconds, typed } from "./json.js";
import type { DpopModel } from "./model.js";
import { JWT_FILTER } from "./rbac.js";

export const EXT_AUTHZ_FILTER = "envoy.filters.http.ext_authz";
/** The `context_extensions` key the verifier reads the origin from (see the backend kit). */
export const DPOP_ORIGIN_EXTENSION = "dpop_origin";
/** jwt_authn's token locations: DPoP always, Bearer only when allowed. */
export function tokenLocations(dpop: DpopModel | undefined): JsonObject[] {
  if (!dpop) return [{ name: "authorization", value_prefix: "Bearer " }];
  return [
    { name: "authorization", value_prefix: "DPoP " },
    ...(dpop.allowBearer ? [{ name: "authorization", value_prefix: "Bearer " }] : []),
  ];
}

/** The ext_authz filter's typed_config, calling the verifier on `cluster`. */
export function extAuthzConfig(dpop: DpopModel, cluster: string): JsonObject {
  return typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", {
    grpc_service: { envoy_grpc: { cluster_name: cluster }, timeout: seconds(dpop.timeoutSeconds) },
    transport_api_version: "V3",
    failure_mode_allow: false,
    status_on_error: { code: "ServiceUnavailable" },
    // The verified payload (cnf.jkt) from jwt_authn, so the verifier never parses the token.
    metadata_context_namespaces: [JWT_FILTER],
    // Only what the proof check needs leaves the gateway (no cookies, no other headers).
    allowed_headers: { patterns: [{ exact: "authorization" }, { exact: "dpop" }] },
    clear_route_cache: false,
  });
}

/** Per-virtual-host ext_authz settings: the origin every proof must name. */
export function extAuthzVirtualHostConfig(dpop: DpopModel): JsonObject {
  return typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", {
    check_settings: { context_extensions: { [DPOP_ORIGIN_EXTENSION]: dpop.origin } },
  });
}

/** Per-route ext_authz settings of a public route: no check. */
export function extAuthzDisabled(): JsonObject {
  return typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", { disabled: true });
}
