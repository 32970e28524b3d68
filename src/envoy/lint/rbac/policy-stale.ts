import type { AccessRule } from "../../../access/index.js";
import { type RbacGrant, rbacFilters, rbacGrants } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/** What the protos ask of a caller, in words. */
function wanted(rule: AccessRule | undefined): string {
  if (!rule) return "no access option (denied by default)";
  if (rule.kind === "public") return "public (no token)";
  if (rule.kind === "authenticated") return "any verified token";
  const parts = [
    rule.scopes.length > 0 ? `scope ${rule.scopes.join(" or ")}` : "",
    rule.roles.length > 0 ? `role ${rule.roles.join(" or ")}` : "",
  ].filter(Boolean);
  return parts.join(" and ");
}

/** What an RBAC policy grants, in words. */
function granted(g: RbacGrant): string {
  if (g.public) return "anyone";
  if (g.values.size === 0) return "any verified token";
  return `tokens with ${[...g.values].sort().join(", ")}`;
}

/** Whether a policy grants what the rule asks, no more and no less. */
function matches(rule: AccessRule, g: RbacGrant): boolean {
  if (rule.kind === "public") return g.public;
  if (g.public) return false;
  const want = rule.kind === "claims" ? new Set([...rule.scopes, ...rule.roles]) : new Set();
  return want.size === g.values.size && [...want].every((v) => g.values.has(v as string));
}

/**
 * The RBAC policy of every method says what the protos' access options say today: a
 * method that lost its option is no longer allowed, and one whose scopes or roles changed
 * is granted to the new ones. A stale `envoy.yaml` (generated before the protos changed,
 * or edited by hand) reports one finding per method that differs. Compared with the proto
 * services when they are given (`--proto-image`).
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
 *                           purge:
 *                             permissions: [{ url_path: { path: { exact: /demo.v1.NotesService/PurgeNotes } } }]
 *                             principals:
 *                               - sourced_metadata:
 *                                   metadata_matcher:
 *                                     filter: envoy.filters.http.jwt_authn
 *                                     path: [{ key: jwt_payload }, { key: scope }]
 *                                     value: { list_match: { one_of: { string_match: { exact: notes.write } } } }
 *                           everything-else:
 *                             permissions: [{ url_path: { path: { prefix: /demo.v1.NotesService/ } } }]
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
 *                           purge:
 *                             permissions: [{ url_path: { path: { exact: /demo.v1.NotesService/PurgeNotes } } }]
 *                             principals:
 *                               - sourced_metadata:
 *                                   metadata_matcher:
 *                                     filter: envoy.filters.http.jwt_authn
 *                                     path: [{ key: jwt_payload }, { key: roles }]
 *                                     value: { list_match: { one_of: { string_match: { exact: admin } } } }
 *                           health:
 *                             permissions: [{ url_path: { path: { prefix: /grpc.health.v1.Health/ } } }]
 *                             principals: [{ any: true }]
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const policyStale: LintRule = {
  id: "policy-stale",
  area: "rbac",
  severity: "error",
  reason:
    "an RBAC policy that no longer matches the protos' access options keeps granting what the protos took away",
  *check(ctx) {
    const policy = ctx.policy;
    if (!policy) return;
    for (const { config } of rbacFilters(ctx)) {
      for (const m of policy.methods) {
        const grants = rbacGrants(config, m.path);
        // Granted to nobody: method-without-policy's concern when the protos grant it.
        if (grants.length === 0) continue;
        if (m.rule && grants.some((g) => matches(m.rule as AccessRule, g))) continue;
        const g = grants[0] as RbacGrant;
        yield {
          node: g.policy,
          field: "principals",
          message: `${m.path}: the protos ask for ${wanted(m.rule)}; RBAC grants it to ${grants.map(granted).join(" / ")}`,
        };
      }
    }
  },
};
