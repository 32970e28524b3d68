import {
  connectionManagers,
  filterChains,
  get,
  globalConnectionCap,
  integer,
  isLoopbackListener,
  isProbe,
  msgs,
  typeOf,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

const CONNECTION_LIMIT =
  "type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit";

/**
 * A listener that answers health probes (the `health_check` filter) sets
 * `ignore_global_conn_limit` when a global connection cap is set: otherwise a flood of the public
 * listener fills the cap, the probe fails with it, and Kubernetes restarts a healthy pod. Outside
 * the cap it needs one of its own (the `connection_limit` network filter on each filter chain),
 * or it becomes the way around the global one.
 *
 * ### Invalid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: probe
 *       address: { socket_address: { address: 0.0.0.0, port_value: 19001 } }
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: probe
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: probe
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
 *                   - name: envoy.filters.http.health_check
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck
 *                       pass_through_mode: false
 *                       headers: [{ name: ":path", string_match: { exact: /ready } }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * overload_manager:
 *   resource_monitors:
 *     - name: envoy.resource_monitors.global_downstream_max_connections
 *       typed_config:
 *         "@type": type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig
 *         max_active_downstream_connections: 10000
 * ```
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: probe
 *       address: { socket_address: { address: 0.0.0.0, port_value: 19001 } }
 *       ignore_global_conn_limit: true
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: probe
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: probe
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
 *                   - name: envoy.filters.http.health_check
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck
 *                       pass_through_mode: false
 *                       headers: [{ name: ":path", string_match: { exact: /ready } }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * overload_manager:
 *   resource_monitors:
 *     - name: envoy.resource_monitors.global_downstream_max_connections
 *       typed_config:
 *         "@type": type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig
 *         max_active_downstream_connections: 10000
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: probe
 *       address: { socket_address: { address: 0.0.0.0, port_value: 19001 } }
 *       ignore_global_conn_limit: true
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.connection_limit
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit
 *                 stat_prefix: probe_connection_limit
 *                 max_connections: 64
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: probe
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: probe
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
 *                   - name: envoy.filters.http.health_check
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck
 *                       pass_through_mode: false
 *                       headers: [{ name: ":path", string_match: { exact: /ready } }]
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
export const probeConnectionCap: LintRule = {
  id: "probe-connection-cap",
  area: "bounds",
  severity: "error",
  reason:
    "a probe listener under the global connection cap fails with the public one (the pod gets restarted); outside it, it needs its own cap",
  *check(ctx) {
    if (globalConnectionCap(ctx) === undefined) return;
    const seen = new Set<object>();
    for (const { listener, hcm } of connectionManagers(ctx)) {
      if (seen.has(listener) || isLoopbackListener(listener) || !isProbe(hcm)) continue;
      seen.add(listener);
      if (listener.ignore_global_conn_limit !== true) {
        yield {
          node: listener,
          field: "name",
          message: `probe listener ${String(listener.name)} counts against the global connection cap (set ignore_global_conn_limit)`,
        };
        continue;
      }
      for (const chain of filterChains(listener)) {
        const capped = msgs(chain.filters).some(
          (f) =>
            typeOf(f.typed_config) === CONNECTION_LIMIT &&
            (integer(get(f, "typed_config", "max_connections")) ?? 0) > 0,
        );
        if (!capped)
          yield {
            node: listener,
            field: "ignore_global_conn_limit",
            message: `probe listener ${String(listener.name)} is outside the global cap without a connection_limit filter of its own`,
          };
      }
    }
  },
};
