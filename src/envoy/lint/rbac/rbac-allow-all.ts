import { get, isMsg, msgs, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * No ALLOW policy pairs any permission with any principal: that opens every method to everyone.
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
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules:
 *                         policies:
 *                           everything:
 *                             permissions: [{ any: true }]
 *                             principals: [{ any: true }]
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules:
 *                         policies:
 *                           health:
 *                             permissions: [{ url_path: { path: { exact: /grpc.health.v1.Health/Check } } }]
 *                             principals: [{ any: true }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const rbacAllowAll: LintRule = {
  id: "rbac-allow-all",
  area: "rbac",
  severity: "error",
  reason: "an ALLOW policy with any permission and any principal opens every method to everyone",
  *check(ctx) {
    for (const rules of [
      ...ctx.all(T.rbac),
      ...ctx.all(T.rbacPerRoute).map((p) => get(p, "rbac")),
    ]) {
      const r = get(rules, "rules");
      if (!isMsg(r) || (r.action ?? "ALLOW") !== "ALLOW" || !isMsg(r.policies)) continue;
      for (const p of Object.values(r.policies)) {
        if (
          isMsg(p) &&
          msgs(p.permissions).some((x) => x.any === true) &&
          msgs(p.principals).some((x) => x.any === true)
        )
          yield {
            node: p,
            field: "permissions",
            message: "ALLOW policy with any permission and any principal",
          };
      }
    }
  },
};
