import { connectionManagers, FILTER_TYPES, filterIndex, httpFilters } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A gRPC-Web gateway runs the `grpc_web` filter before the router in at least one
 * connection manager. Without it browsers' gRPC-Web calls reach the backend untranslated
 * (and refusals do not read as gRPC status); after the router, which ends the chain, it
 * never runs (and Envoy refuses the chain at load: `terminal-filter-not-last`).
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const grpcWebMissing: LintRule = {
  id: "grpc-web-missing",
  area: "http",
  severity: "error",
  reason:
    "without the grpc_web filter before the router, browsers' gRPC-Web calls are not translated: the config is not a gRPC-Web gateway",
  *check(ctx) {
    const hcms = connectionManagers(ctx);
    let present = false;
    for (const { hcm } of hcms) {
      const filters = httpFilters(hcm);
      const grpcWeb = filterIndex(filters, FILTER_TYPES.grpcWeb);
      if (grpcWeb < 0) continue;
      present = true;
      const router = filterIndex(filters, FILTER_TYPES.router);
      if (router >= 0 && router < grpcWeb)
        yield {
          node: filters[grpcWeb]?.filter ?? hcm,
          field: "name",
          message:
            "the grpc_web filter comes after the router, which ends the chain: it never runs",
        };
    }
    if (present) return;
    const message =
      "no HTTP connection manager runs the grpc_web filter: this is not a gRPC-Web gateway";
    const first = hcms[0]?.hcm;
    yield first ? { node: first, field: "http_filters", message } : { node: ctx.config, message };
  },
};
