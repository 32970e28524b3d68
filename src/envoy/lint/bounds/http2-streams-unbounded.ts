import { edgeConnectionManagers, get, integer } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/** The most streams per connection the rule accepts (Envoy's edge guide: 100). */
const MAX_STREAMS = 1000;

/**
 * A connection manager that faces clients and may speak HTTP/2 (`codec_type` AUTO, the default,
 * or HTTP2) sets `http2_protocol_options.max_concurrent_streams`, at most 1,000. Envoy's default
 * is 2,147,483,647 streams per connection: one client on one connection could then hold every
 * upstream request the gateway may send.
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
 *                 codec_type: AUTO
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
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
 *                 codec_type: AUTO
 *                 http2_protocol_options: { max_concurrent_streams: 100 }
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
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
 *                 codec_type: HTTP1
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const http2StreamsUnbounded: LintRule = {
  id: "http2-streams-unbounded",
  area: "bounds",
  severity: "error",
  reason:
    "Envoy allows 2^31-1 HTTP/2 streams per connection by default; the edge guide sets 100, so one connection cannot hold the upstream budget",
  *check(ctx) {
    for (const { hcm } of edgeConnectionManagers(ctx)) {
      const codec = hcm.codec_type ?? "AUTO";
      if (codec !== "AUTO" && codec !== "HTTP2") continue;
      const n = integer(get(hcm, "http2_protocol_options", "max_concurrent_streams"));
      if (n === undefined)
        yield {
          node: hcm,
          field: "stat_prefix",
          message:
            "http2_protocol_options.max_concurrent_streams is not set (Envoy allows 2147483647)",
        };
      else if (n > MAX_STREAMS)
        yield {
          node: hcm.http2_protocol_options as object,
          field: "max_concurrent_streams",
          message: `max_concurrent_streams ${n} is above ${MAX_STREAMS} (Envoy's edge guide: 100)`,
        };
    }
  },
};
