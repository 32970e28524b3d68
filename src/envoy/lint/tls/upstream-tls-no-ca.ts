import { clusterTls, hasTrustedCa } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Upstream TLS verifies the peer against a trusted CA: without `trusted_ca` (or with
 * `trust_chain_verification: ACCEPT_UNTRUSTED`) Envoy accepts any certificate.
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
export const upstreamTlsNoCa: LintRule = {
  id: "upstream-tls-no-ca",
  area: "tls",
  severity: "error",
  reason: "without trusted_ca Envoy accepts any certificate from the upstream",
  *check(ctx) {
    for (const { name, tls } of clusterTls(ctx)) {
      const why = `cluster ${name} does not verify the upstream certificate (no trusted_ca)`;
      if (tls && !hasTrustedCa(tls)) yield { node: tls, field: "common_tls_context", message: why };
    }
  },
};
