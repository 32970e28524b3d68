import { flattenPermissions, isMsg, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * RBAC permissions match the method with `url_path`, never the `:path` header: `:path` includes
 * the query string, so `/svc/Method?x` escapes an exact match.
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
 *                           health:
 *                             permissions: [{ header: { name: ":path", string_match: { exact: /grpc.health.v1.Health/Check } } }]
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
export const rbacPathHeader: LintRule = {
  id: "rbac-path-header",
  area: "rbac",
  severity: "error",
  reason: 'matching :path includes the query string ("/m?x" escapes exact matches); use url_path',
  *check(ctx) {
    for (const perm of ctx.all(T.permission)) {
      for (const p of flattenPermissions(perm)) {
        if (isMsg(p.header) && p.header.name === ":path")
          yield {
            node: p,
            field: "header",
            message: "RBAC permission matches the :path header; use url_path",
          };
      }
    }
  },
};
