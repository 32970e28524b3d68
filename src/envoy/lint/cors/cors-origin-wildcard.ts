import { corsOriginMatchers, stringMatches } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * CORS origins are listed exactly. A matcher that matches the string `*` (such as
 * `prefix: "*"` from the grpc-web example, or a regex `.*`) lets every site call the API with
 * the user's browser.
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
 *                           allow_origin_string_match: [{ prefix: "*" }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
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
 *                           allow_origin_string_match: [{ safe_regex: { regex: ".*" } }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
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
export const corsOriginWildcard: LintRule = {
  id: "cors-origin-wildcard",
  area: "cors",
  severity: "error",
  reason:
    'an origin matcher that matches "*" lets every site call the API with the user\'s browser',
  *check(ctx) {
    for (const m of corsOriginMatchers(ctx)) {
      if (stringMatches(m, "*"))
        yield { node: m, message: 'origin matcher matches "*" (any origin)' };
    }
  },
};
