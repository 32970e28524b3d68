import { DPOP_ALLOWED_HEADERS, DPOP_EXPOSED_HEADERS } from "../../../common/cors-headers.js";
import {
  connectionManagers,
  corsPolicies,
  FILTER_TYPES,
  get,
  httpFilters,
  isMsg,
  missingHeaders,
  msgs,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Where the DPoP scheme is accepted, browsers must be allowed to send the `DPoP` proof
 * header and to read `DPoP-Nonce` and `WWW-Authenticate` (RFC 9449 §7.1, §8): otherwise
 * the preflight strips every proof, and a nonce challenge cannot be answered.
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
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes: []
 *                       typed_per_filter_config:
 *                         envoy.filters.http.cors:
 *                           "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
 *                           allow_origin_string_match: [{ exact: https://app.example.com }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
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
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes: []
 *                       typed_per_filter_config:
 *                         envoy.filters.http.cors:
 *                           "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
 *                           allow_origin_string_match: [{ exact: https://app.example.com }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, dpop
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin, dpop-nonce, www-authenticate
 *                 http_filters:
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
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
export const dpopCorsHeaders: LintRule = {
  id: "dpop-cors-headers",
  area: "dpop",
  severity: "error",
  reason:
    "browsers cannot send the DPoP proof or read DPoP-Nonce/WWW-Authenticate unless CORS allows and exposes them",
  *check(ctx) {
    const dpop = connectionManagers(ctx).some(({ hcm }) =>
      httpFilters(hcm).some((f) => {
        if (f.type !== FILTER_TYPES.jwt) return false;
        const providers = get(f.filter.typed_config, "providers");
        return Object.values(isMsg(providers) ? providers : {}).some((p) =>
          msgs(get(p, "from_headers")).some(
            (h) =>
              String(h.value_prefix ?? "")
                .trim()
                .toLowerCase() === "dpop",
          ),
        );
      }),
    );
    if (!dpop) return;
    for (const pol of corsPolicies(ctx)) {
      const allow = missingHeaders(pol, "allow_headers", DPOP_ALLOWED_HEADERS);
      const expose = missingHeaders(pol, "expose_headers", DPOP_EXPOSED_HEADERS);
      if (allow.length > 0) {
        const message = `CORS policy does not allow the ${allow.join(", ")} request header`;
        yield { node: pol, field: "allow_headers", message };
      }
      if (expose.length > 0) {
        const message = `CORS policy does not expose ${expose.join(", ")}`;
        yield { node: pol, field: "expose_headers", message };
      }
    }
  },
};
