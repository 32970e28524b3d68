import { edgeConnectionManagers, get, isMsg } from "../../query/index.js";
import { parseDuration } from "../../schema/decoded.js";
import type { LintRule } from "../rule.js";

/** Envoy's own default, and the edge guide's value: the longest idle timeout the rule accepts. */
const MAX_SECONDS = 3600;

/**
 * A connection manager that faces clients sets `common_http_protocol_options.idle_timeout`,
 * above zero and at most 1 h. It is the only bound on a connection that completes TLS and then
 * sends nothing; zero disables it, and the value is what a flood of such connections costs.
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
 *                 common_http_protocol_options: { idle_timeout: 0s }
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
 *                 common_http_protocol_options: { idle_timeout: 10s }
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
export const connectionIdleUnbounded: LintRule = {
  id: "connection-idle-unbounded",
  area: "bounds",
  severity: "error",
  reason:
    "the idle timeout is the only bound on a connection that finishes TLS and sends nothing; unset it is 1 h, zero disables it",
  *check(ctx) {
    for (const { hcm } of edgeConnectionManagers(ctx)) {
      const opts = hcm.common_http_protocol_options;
      const raw = get(opts, "idle_timeout");
      const t = parseDuration(raw);
      if (t === undefined)
        yield isMsg(opts)
          ? { node: opts, message: "idle_timeout is not set: Envoy keeps an idle connection 1 h" }
          : {
              node: hcm,
              field: "stat_prefix",
              message:
                "common_http_protocol_options.idle_timeout is not set: Envoy keeps an idle connection 1 h",
            };
      else if (t <= 0 || t > MAX_SECONDS)
        yield {
          node: opts as object,
          field: "idle_timeout",
          message:
            t <= 0
              ? "idle_timeout 0s disables the idle timeout: a silent connection is held forever"
              : `idle_timeout ${String(raw)} is above 1 h`,
        };
    }
  },
};
