import { isMsg, rbacFilters, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * An RBAC filter has rules (or a matcher), and an `RBACPerRoute` has an `rbac` with rules:
 * without them RBAC enforces nothing, and a per-route config without rules turns RBAC off for
 * that route.
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
export const rbacNoRules: LintRule = {
  id: "rbac-no-rules",
  area: "rbac",
  severity: "error",
  reason: "an RBAC filter without rules (or without policies under ALLOW) enforces nothing",
  *check(ctx) {
    for (const { config } of rbacFilters(ctx)) {
      if (!isMsg(config)) continue;
      if (!isMsg(config.rules) && !isMsg(config.matcher))
        yield {
          node: config,
          field: "@type",
          message: "RBAC filter has no rules: every request is allowed",
        };
    }
    for (const pr of ctx.all(T.rbacPerRoute)) {
      const rbac = pr.rbac;
      if (!isMsg(rbac) || (!isMsg(rbac.rules) && !isMsg(rbac.matcher)))
        yield {
          node: pr,
          field: isMsg(rbac) ? "rbac" : "@type",
          message: "RBACPerRoute without rbac rules disables RBAC on this route",
        };
    }
  },
};
