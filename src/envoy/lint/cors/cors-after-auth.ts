import { connectionManagers, FILTER_TYPES, filterIndex, httpFilters } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * The `cors` filter comes before `jwt_authn` and `rbac`: otherwise preflights (which carry no
 * credentials) are refused and error replies lack CORS headers, so browsers see opaque failures.
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
 *                       typed_per_filter_config:
 *                         envoy.filters.http.cors:
 *                           "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
 *                           allow_origin_string_match: [{ exact: https://app.example.com }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules: { action: ALLOW }
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
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
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       typed_per_filter_config:
 *                         envoy.filters.http.cors:
 *                           "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
 *                           allow_origin_string_match: [{ exact: https://app.example.com }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules: { action: ALLOW }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const corsAfterAuth: LintRule = {
  id: "cors-after-auth",
  area: "cors",
  severity: "error",
  reason:
    "preflights and error replies lack CORS headers when jwt_authn or rbac run before cors, so browsers see opaque failures",
  *check(ctx) {
    for (const { hcm } of connectionManagers(ctx)) {
      const fs = httpFilters(hcm);
      const cors = filterIndex(fs, FILTER_TYPES.cors);
      if (cors < 0) continue;
      const auth = filterIndex(fs, FILTER_TYPES.jwt, FILTER_TYPES.rbac);
      if (auth >= 0 && auth < cors)
        yield {
          node: fs[cors]?.filter ?? hcm,
          field: "name",
          message: "cors filter comes after jwt_authn/rbac",
        };
    }
  },
};
