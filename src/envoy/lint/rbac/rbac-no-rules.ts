import { connectionManagers, isMsg, rbacFilters, routesOf, T } from "../../query/index.js";
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
    // A route that forwards nothing (a direct response or a redirect) has nothing to protect:
    // the generator turns RBAC off on its unknown-method route, which answers UNIMPLEMENTED.
    const answeredByEnvoy = new Set<unknown>();
    for (const { hcm } of connectionManagers(ctx))
      for (const r of routesOf(hcm))
        if (
          !isMsg(r.route) &&
          (isMsg(r.direct_response) || isMsg(r.redirect)) &&
          isMsg(r.typed_per_filter_config)
        )
          for (const v of Object.values(r.typed_per_filter_config)) answeredByEnvoy.add(v);
    for (const pr of ctx.all(T.rbacPerRoute)) {
      if (answeredByEnvoy.has(pr)) continue;
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
