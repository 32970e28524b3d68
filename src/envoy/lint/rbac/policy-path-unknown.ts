import { get, isMsg, policyPaths, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Every path named in an RBAC permission or a jwt_authn rule is a method (or a service prefix)
 * of the proto services: anything else is a typo or a stale rule, and the real method stays
 * unprotected or denied. Compared with the proto services when they are given.
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
 *                           list-notes:
 *                             permissions: [{ url_path: { path: { exact: /demo.v1.NotesService/ListNote } } }]
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
 *                           list-notes:
 *                             permissions: [{ url_path: { path: { exact: /demo.v1.NotesService/ListNotes } } }]
 *                             principals: [{ any: true }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const policyPathUnknown: LintRule = {
  id: "policy-path-unknown",
  area: "rbac",
  severity: "error",
  reason:
    "a policy path that names no proto method is a typo or a stale rule, and the real method stays unprotected or denied",
  *check(ctx) {
    const policy = ctx.policy;
    if (!policy) return;
    // A path whose route only redirects (session mode's sign-in landing) is not an RPC.
    const redirects = new Set(
      ctx
        .all(T.route)
        .filter((r) => isMsg(r.redirect))
        .map((r) => get(r, "match", "path")),
    );
    for (const p of policyPaths(ctx)) {
      if (!p.path.startsWith("/") || p.path === "/" || redirects.has(p.path)) continue;
      const ok = p.prefix
        ? policy.methods.some((m) => m.path.startsWith(p.path))
        : policy.lookup(p.path) !== undefined;
      if (!ok)
        yield {
          node: p.node,
          field: p.field,
          message: `${p.path} matches no method of the proto services`,
        };
    }
  },
};
