import { T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * ext_authz must fail closed: with `failure_mode_allow: true`, a verifier that is down,
 * slow or overloaded lets every request through unchecked, so an attacker only has to
 * make the check fail. Leave it false (the default) and set `status_on_error` to 503 so
 * clients read UNAVAILABLE and retry.
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
 *                   - name: envoy.filters.http.ext_authz
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
 *                       grpc_service: { envoy_grpc: { cluster_name: backend }, timeout: 1s }
 *                       transport_api_version: V3
 *                       failure_mode_allow: true
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
export const extAuthzFailOpen: LintRule = {
  id: "ext-authz-fail-open",
  area: "dpop",
  severity: "error",
  reason: "failure_mode_allow lets requests through whenever the authorization service fails",
  *check(ctx) {
    for (const a of ctx.all(T.extAuthz)) {
      if (a.failure_mode_allow === true)
        yield {
          node: a,
          field: "failure_mode_allow",
          message: "ext_authz allows requests when the authorization service fails or times out",
        };
    }
  },
};
