import { CORS_EXPOSED_HEADERS } from "../../../common/cors-headers.js";
import { corsPolicies, missingHeaders } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * CORS policies expose `grpc-status`, `grpc-message` and `grpc-status-details-bin`: browsers
 * hide response headers that are not exposed, and a trailers-only error then reads as Unknown.
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
 *                           expose_headers: grpc-status
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
export const corsExposeHeaders: LintRule = {
  id: "cors-expose-headers",
  area: "cors",
  severity: "error",
  reason:
    "browsers hide grpc-status/grpc-message/grpc-status-details-bin unless exposed, so every error reads as Unknown",
  *check(ctx) {
    for (const pol of corsPolicies(ctx)) {
      const missing = missingHeaders(pol, "expose_headers", CORS_EXPOSED_HEADERS);
      if (missing.length > 0)
        yield {
          node: pol,
          field: "expose_headers",
          message: `CORS policy does not expose ${missing.join(", ")}`,
        };
    }
  },
};
