import {
  connectionManagers,
  FILTER_TYPES,
  get,
  httpFilters,
  isMsg,
  msgs,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A jwt_authn provider that takes tokens from the `DPoP` authorization scheme must be
 * followed by an ext_authz filter (the DPoP proof verifier) in the same chain. jwt_authn
 * checks the token only; without a proof check a DPoP-bound token works for whoever
 * holds it, which is exactly what DPoP exists to prevent (RFC 9449 §7.1).
 *
 * ### Invalid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: https
 *       address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "DPoP " }]
 *                           payload_in_metadata: jwt_payload
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: backend
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } } }] }]
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: https
 *       address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "DPoP " }]
 *                           payload_in_metadata: jwt_payload
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.ext_authz
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
 *                       grpc_service: { envoy_grpc: { cluster_name: backend }, timeout: 1s }
 *                       transport_api_version: V3
 *                       failure_mode_allow: false
 *                       metadata_context_namespaces: [envoy.filters.http.jwt_authn]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: backend
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } } }] }]
 * ```
 */
export const dpopWithoutProofCheck: LintRule = {
  id: "dpop-without-proof-check",
  area: "dpop",
  severity: "error",
  reason:
    "jwt_authn accepts the DPoP scheme but no ext_authz verifier follows it, so bound tokens work without proof of the key",
  *check(ctx) {
    for (const { hcm } of connectionManagers(ctx)) {
      const fs = httpFilters(hcm);
      for (const [i, f] of fs.entries()) {
        if (f.type !== FILTER_TYPES.jwt) continue;
        if (fs.slice(i + 1).some((g) => g.type === FILTER_TYPES.extAuthz)) continue;
        const providers = get(f.filter.typed_config, "providers");
        for (const p of Object.values(isMsg(providers) ? providers : {})) {
          for (const h of msgs(get(p, "from_headers"))) {
            if (
              String(h.value_prefix ?? "")
                .trim()
                .toLowerCase() === "dpop"
            )
              yield {
                node: h,
                field: "value_prefix",
                message:
                  "the DPoP scheme is accepted but no ext_authz filter checks the proof after jwt_authn",
              };
          }
        }
      }
    }
  },
};
