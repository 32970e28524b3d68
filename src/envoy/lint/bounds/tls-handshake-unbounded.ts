import { filterChains, isLoopbackListener, T, terminatesTls } from "../../query/index.js";
import { parseDuration } from "../../schema/decoded.js";
import type { LintRule } from "../rule.js";

/** Longest handshake deadline the rule accepts: beyond it a silent connection is not "slow" any more. */
const MAX_SECONDS = 60;

/**
 * Every TLS filter chain of a listener that faces clients sets
 * `transport_socket_connect_timeout` (at most 60 s). Without it a connection that never sends
 * its ClientHello holds a slot of the connection cap until the idle timeout: 1,000 such
 * connections filled the demo gateway's cap and turned every new client away.
 *
 * ### Invalid
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
 *                   - certificate_chain: { inline_string: "-----BEGIN CERTIFICATE-----" }
 *                     private_key: { inline_string: "-----BEGIN PRIVATE KEY-----" }
 *           filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
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
 *         - transport_socket_connect_timeout: 5s
 *           transport_socket:
 *             name: envoy.transport_sockets.tls
 *             typed_config:
 *               "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
 *               common_tls_context:
 *                 tls_certificates:
 *                   - certificate_chain: { inline_string: "-----BEGIN CERTIFICATE-----" }
 *                     private_key: { inline_string: "-----BEGIN PRIVATE KEY-----" }
 *           filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { prefix: / }
 *                           direct_response: { status: 404 }
 *                 http_filters:
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const tlsHandshakeUnbounded: LintRule = {
  id: "tls-handshake-unbounded",
  area: "bounds",
  severity: "error",
  reason:
    "without transport_socket_connect_timeout a connection that never sends its ClientHello holds a slot of the connection cap until the idle timeout",
  *check(ctx) {
    for (const listener of ctx.all(T.listener)) {
      if (isLoopbackListener(listener)) continue;
      for (const chain of filterChains(listener)) {
        if (!terminatesTls(chain)) continue;
        const t = parseDuration(chain.transport_socket_connect_timeout);
        if (t === undefined)
          yield {
            node: chain,
            field: "transport_socket",
            message: `listener ${String(listener.name)} has no TLS handshake deadline (transport_socket_connect_timeout)`,
          };
        else if (t <= 0 || t > MAX_SECONDS)
          yield {
            node: chain,
            field: "transport_socket_connect_timeout",
            message: `TLS handshake deadline ${String(chain.transport_socket_connect_timeout)} is not within (0, ${MAX_SECONDS}s]`,
          };
      }
    }
  },
};
