import { connectionManagers, get, isMsg } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Connection managers reject headers with underscores
 * (`headers_with_underscores_action: REJECT_REQUEST`): proxies and backends may read
 * `x_user` as `x-user`, which smuggles values past header-based checks.
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
 *                 common_http_protocol_options: { headers_with_underscores_action: REJECT_REQUEST }
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const underscoreHeadersAllowed: LintRule = {
  id: "underscore-headers-allowed",
  area: "http",
  severity: "error",
  reason:
    "headers with underscores can smuggle values past header-based checks; set headers_with_underscores_action REJECT_REQUEST",
  *check(ctx) {
    for (const { hcm } of connectionManagers(ctx)) {
      const a = get(hcm, "common_http_protocol_options", "headers_with_underscores_action");
      if (a !== "REJECT_REQUEST") {
        const opts = hcm.common_http_protocol_options;
        yield isMsg(opts)
          ? {
              node: opts,
              field: "headers_with_underscores_action",
              message: `headers_with_underscores_action is ${String(a ?? "ALLOW")}`,
            }
          : {
              node: hcm,
              field: "stat_prefix",
              message: "headers_with_underscores_action is not set (ALLOW)",
            };
      }
    }
  },
};
