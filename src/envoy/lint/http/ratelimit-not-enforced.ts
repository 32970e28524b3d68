import { get, isMsg, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A `local_ratelimit` with a token bucket sets both `filter_enabled` and `filter_enforced`
 * above 0%: either one missing makes the filter a no-op.
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
 *                   - name: envoy.filters.http.local_ratelimit
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
 *                       stat_prefix: gateway_rate_limit
 *                       token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: 1s }
 *                       filter_enabled: { runtime_key: rl_enabled, default_value: { numerator: 100 } }
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
 *                   - name: envoy.filters.http.local_ratelimit
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
 *                       stat_prefix: gateway_rate_limit
 *                       token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: 1s }
 *                       filter_enabled: { runtime_key: rl_enabled, default_value: { numerator: 100, denominator: HUNDRED } }
 *                       filter_enforced: { runtime_key: rl_enforced, default_value: { numerator: 100, denominator: HUNDRED } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const ratelimitNotEnforced: LintRule = {
  id: "ratelimit-not-enforced",
  area: "http",
  severity: "error",
  reason:
    "local_ratelimit is a no-op until both filter_enabled and filter_enforced are set above 0%",
  *check(ctx) {
    for (const rl of ctx.all(T.localRateLimit)) {
      if (!isMsg(rl.token_bucket)) continue;
      for (const f of ["filter_enabled", "filter_enforced"]) {
        const n = get(rl, f, "default_value", "numerator");
        if (!isMsg(rl[f]))
          yield { node: rl, field: "token_bucket", message: `local_ratelimit without ${f}` };
        else if (typeof n !== "number" || n === 0)
          yield { node: rl, field: f, message: `local_ratelimit ${f} is 0%` };
      }
    }
  },
};
