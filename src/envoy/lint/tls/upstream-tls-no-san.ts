import { clusterTls, hasSanMatch, hasTrustedCa } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Upstream TLS matches the backend's SAN (`match_typed_subject_alt_names`): a trusted CA alone
 * accepts every certificate it ever issued.
 *
 * ### Invalid
 *
 * ```yaml
 * static_resources:
 *   clusters:
 *     - name: backend
 *       type: STRICT_DNS
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: backend.internal, port_value: 443 } } }
 *       transport_socket:
 *         name: envoy.transport_sockets.tls
 *         typed_config:
 *           "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
 *           sni: backend.internal
 *           common_tls_context:
 *             validation_context:
 *               trusted_ca: { filename: /etc/envoy/tls/ca.crt }
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * static_resources:
 *   clusters:
 *     - name: backend
 *       type: STRICT_DNS
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: backend.internal, port_value: 443 } } }
 *       transport_socket:
 *         name: envoy.transport_sockets.tls
 *         typed_config:
 *           "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
 *           sni: backend.internal
 *           common_tls_context:
 *             validation_context:
 *               trusted_ca: { filename: /etc/envoy/tls/ca.crt }
 *               match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: backend.internal } }]
 * ```
 */
export const upstreamTlsNoSan: LintRule = {
  id: "upstream-tls-no-san",
  area: "tls",
  severity: "error",
  reason: "a trusted CA alone accepts any certificate it issued; match the upstream's SAN",
  *check(ctx) {
    for (const { name, tls } of clusterTls(ctx)) {
      const why = `cluster ${name} does not match the upstream certificate's SAN`;
      if (tls && hasTrustedCa(tls) && !hasSanMatch(tls))
        yield { node: tls, field: "common_tls_context", message: why };
    }
  },
};
