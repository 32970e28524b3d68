import { connectionManagers } from "../../query/index.js";
import type { LintRule } from "../rule.js";

const SAFE_ESCAPED_SLASHES = new Set([
  "REJECT_REQUEST",
  "UNESCAPE_AND_REDIRECT",
  "UNESCAPE_AND_FORWARD",
]);

/**
 * Connection managers normalise paths before anything matches on them: `normalize_path`,
 * `merge_slashes`, and `path_with_escaped_slashes_action` that rejects or unescapes `%2F`.
 * Un-normalised paths (`/a/../b`, `//`, `%2F`) bypass path-based authorization
 * (CVE-2019-9901, CVE-2021-29492).
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
 *                 normalize_path: true
 *                 merge_slashes: true
 *                 path_with_escaped_slashes_action: REJECT_REQUEST
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const pathNormalizationOff: LintRule = {
  id: "path-normalization-off",
  area: "http",
  severity: "error",
  reason:
    'un-normalised paths ("/a/../b", "//", "%2F") bypass path-based authorization (CVE-2019-9901, CVE-2021-29492)',
  *check(ctx) {
    for (const { hcm } of connectionManagers(ctx)) {
      if (hcm.normalize_path !== true)
        yield { node: hcm, field: "stat_prefix", message: "normalize_path is not true" };
      if (hcm.merge_slashes !== true)
        yield { node: hcm, field: "stat_prefix", message: "merge_slashes is not true" };
      const a = hcm.path_with_escaped_slashes_action;
      if (typeof a !== "string" || !SAFE_ESCAPED_SLASHES.has(a))
        yield {
          node: hcm,
          field: a === undefined ? "stat_prefix" : "path_with_escaped_slashes_action",
          message: "path_with_escaped_slashes_action keeps %2F unchanged",
        };
    }
  },
};
