import { isLoopbackHost } from "../../../common/loopback.js";
import { connectionManagers, get } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A connection manager on a non-loopback listener sets `use_remote_address: true`: on the edge
 * Envoy otherwise trusts the client's `X-Forwarded-For` and may treat requests as internal.
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
 *                 use_remote_address: true
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const edgeRemoteAddressOff: LintRule = {
  id: "edge-remote-address-off",
  area: "http",
  severity: "error",
  reason:
    "on the edge without use_remote_address Envoy trusts client-sent X-Forwarded-For and marks requests internal",
  *check(ctx) {
    for (const { listener, hcm } of connectionManagers(ctx)) {
      const addr = get(listener, "address", "socket_address", "address");
      if (typeof addr === "string" && isLoopbackHost(addr)) continue;
      if (hcm.use_remote_address !== true)
        yield {
          node: hcm,
          field: "stat_prefix",
          message: "use_remote_address is not true on an edge listener",
        };
    }
  },
};
