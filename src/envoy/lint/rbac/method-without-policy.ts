import { FILTER_TYPES, get, grpcWebManagers, httpFilters, rbacAllows } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Every proto method that the access options grant has an RBAC policy that allows it, and a
 * gRPC-Web connection manager has an RBAC filter at all: otherwise the method is denied at the
 * gateway, or the options are not enforced there. Compared with the proto services when they
 * are given.
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
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules:
 *                         policies:
 *                           list-notes:
 *                             permissions: [{ url_path: { path: { exact: /demo.v1.NotesService/ListNotes } } }]
 *                             principals: [{ any: true }]
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
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
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
 *                   - name: envoy.filters.http.rbac
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
 *                       rules:
 *                         policies:
 *                           notes:
 *                             permissions: [{ url_path: { path: { prefix: /demo.v1.NotesService/ } } }]
 *                             principals: [{ authenticated: { principal_name: { exact: gateway } } }]
 *                           health:
 *                             permissions: [{ url_path: { path: { prefix: /grpc.health.v1.Health/ } } }]
 *                             principals: [{ any: true }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const methodWithoutPolicy: LintRule = {
  id: "method-without-policy",
  area: "rbac",
  severity: "error",
  reason:
    "a proto method the access options grant but no RBAC policy allows is denied at the gateway (or unenforced when RBAC is absent)",
  *check(ctx) {
    const policy = ctx.policy;
    if (!policy) return;
    for (const { hcm } of grpcWebManagers(ctx)) {
      const rbac = httpFilters(hcm).find((f) => f.type === FILTER_TYPES.rbac);
      if (!rbac) {
        yield {
          node: hcm,
          field: "http_filters",
          message: "no RBAC filter: the proto access rules are not enforced at the gateway",
        };
        continue;
      }
      for (const m of policy.methods) {
        if (!m.rule) continue;
        if (rbacAllows(get(rbac.filter, "typed_config"), m.path) === false)
          yield {
            node: rbac.filter,
            field: "typed_config",
            message: `no RBAC policy allows ${m.path}`,
          };
      }
    }
  },
};
