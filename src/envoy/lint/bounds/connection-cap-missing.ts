import { globalConnectionCap, isLoopbackListener, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A config with a listener that faces clients caps the downstream connections of the whole
 * process with the overload manager's `global_downstream_max_connections` monitor. Without a
 * cap a connection flood runs the process out of file descriptors, and then every listener,
 * the admin interface and the upstream connections fail together. (The deprecated runtime key
 * `overload.global_downstream_max_connections` is not counted.)
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
 * overload_manager:
 *   resource_monitors:
 *     - name: envoy.resource_monitors.global_downstream_max_connections
 *       typed_config:
 *         "@type": type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig
 *         max_active_downstream_connections: 10000
 * ```
 */
export const connectionCapMissing: LintRule = {
  id: "connection-cap-missing",
  area: "bounds",
  severity: "error",
  reason:
    "without a global downstream connection cap a connection flood exhausts file descriptors and every listener fails at once",
  *check(ctx) {
    const edge = ctx.all(T.listener).find((l) => !isLoopbackListener(l));
    if (!edge || globalConnectionCap(ctx) !== undefined) return;
    yield {
      node: edge,
      field: "name",
      message:
        "no global connection cap: add the overload manager's global_downstream_max_connections monitor",
    };
  },
};
