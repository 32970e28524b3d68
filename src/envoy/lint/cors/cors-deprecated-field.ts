import { isMsg, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * CORS is configured with the `envoy.filters.http.cors` filter and a `CorsPolicy` in
 * `typed_per_filter_config`, not with the deprecated `cors` field of a virtual host or route.
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
 *                       cors:
 *                         allow_origin_string_match: [{ exact: https://app.example.com }]
 *                         allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                         expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
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
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const corsDeprecatedField: LintRule = {
  id: "cors-deprecated-field",
  area: "cors",
  severity: "error",
  reason:
    "the route/virtual-host cors field is deprecated; use the cors filter with a CorsPolicy in typed_per_filter_config",
  *check(ctx) {
    for (const t of [T.virtualHost, T.route]) {
      for (const n of ctx.all(t))
        if (isMsg(n.cors)) yield { node: n, field: "cors", message: "deprecated cors field" };
    }
  },
};
