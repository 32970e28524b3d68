import { filterChains, T, terminatesTls } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Every listener filter chain must terminate TLS (a `DownstreamTlsContext`): the access token
 * and the calls cross the network in clear text otherwise. The `default_filter_chain` counts
 * too: Envoy serves every connection no `filter_chain_match` selects on it, so a plaintext
 * default beside TLS chains still accepts clear-text calls.
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
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: https
 *       address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
 *       filter_chains:
 *         - filter_chain_match: { server_names: [api.example.com] }
 *           transport_socket:
 *             name: envoy.transport_sockets.tls
 *             typed_config:
 *               "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
 *               common_tls_context:
 *                 tls_certificates:
 *                   - certificate_chain: { filename: /etc/envoy/tls/tls.crt }
 *                     private_key: { filename: /etc/envoy/tls/tls.key }
 *           filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *       default_filter_chain:
 *         filters:
 *           - name: envoy.filters.network.http_connection_manager
 *             typed_config:
 *               "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *               stat_prefix: fallback
 *               route_config: {}
 *               http_filters:
 *                 - name: envoy.filters.http.router
 *                   typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
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
 *         - transport_socket:
 *             name: envoy.transport_sockets.tls
 *             typed_config:
 *               "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
 *               common_tls_context:
 *                 tls_certificates:
 *                   - certificate_chain: { filename: /etc/envoy/tls/tls.crt }
 *                     private_key: { filename: /etc/envoy/tls/tls.key }
 *           filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const plaintextListener: LintRule = {
  id: "plaintext-listener",
  area: "tls",
  severity: "error",
  reason: "tokens and calls cross the network in clear text unless the listener terminates TLS",
  *check(ctx) {
    for (const l of ctx.all(T.listener)) {
      for (const chain of filterChains(l)) {
        if (!terminatesTls(chain))
          yield {
            node: chain,
            field: "transport_socket",
            message: `listener ${String(l.name)} has a filter chain without TLS (DownstreamTlsContext)`,
          };
      }
    }
  },
};
