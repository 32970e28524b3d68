import { HEALTH_PATHS } from "../../../access/outline.js";
import {
  jwtFilters,
  jwtRuleFor,
  rbacAllows,
  rbacFilters,
  ruleRequires,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * `/grpc.health.v1.Health/Check` stays reachable without a token: load balancers and probes
 * call it without one, and a gateway that refuses them is taken out of rotation.
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
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
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
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - match: { path: /grpc.health.v1.Health/Check }
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const healthNotExempt: LintRule = {
  id: "health-not-exempt",
  area: "jwt",
  severity: "error",
  reason:
    "load balancers and probes call health without a token; requiring one takes the gateway out of rotation",
  *check(ctx) {
    for (const jwt of jwtFilters(ctx)) {
      const path = HEALTH_PATHS[0];
      const rule = jwtRuleFor(jwt, path);
      if (ruleRequires(jwt, rule))
        yield {
          node: rule ?? jwt,
          field: "requires",
          message: `jwt_authn requires a token for ${path}`,
        };
    }
    for (const { config, filter } of rbacFilters(ctx)) {
      if (rbacAllows(config, HEALTH_PATHS[0], true) === false)
        yield {
          node: filter,
          field: "typed_config",
          message: `RBAC does not allow ${HEALTH_PATHS[0]} for any principal`,
        };
    }
  },
};
