import { originProblem } from "../../../common/origin.js";
import { corsOriginMatchers } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Every exact CORS origin is one the project allows anywhere (`originProblem`, the same
 * check as the generator's `cors.allowedOrigins` and the backend kit's `withCors`): an exact
 * `scheme://host[:port]` over https, or over http to a loopback host. A page served over
 * plain http can be replaced by anyone on its network, who then calls the API with the
 * user's token; a path or trailing slash never equals a browser's `Origin` and silently
 * matches nothing.
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
 *                           allow_origin_string_match: [{ exact: http://app.example.com }, { exact: https://app.example.com/ }]
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
 *                           allow_origin_string_match: [{ exact: https://app.example.com }, { exact: http://127.0.0.2:5173 }]
 *                           allow_headers: content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization
 *                           expose_headers: grpc-status, grpc-message, grpc-status-details-bin
 *                 http_filters:
 *                   - name: envoy.filters.http.cors
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const corsOriginInsecure: LintRule = {
  id: "cors-origin-insecure",
  area: "cors",
  severity: "error",
  reason:
    "an allowed origin over plain http (other than loopback) lets anyone on that page's network call the API with the user's token",
  *check(ctx) {
    for (const m of corsOriginMatchers(ctx)) {
      // Patterns are cors-origin-wildcard's; this rule reads exact origins only.
      if (typeof m.exact !== "string") continue;
      const why = originProblem(m.exact);
      if (why) yield { node: m, field: "exact", message: `origin ${why}` };
    }
  },
};
