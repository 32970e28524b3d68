import { clusterTls } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Every static cluster must reach its upstream over TLS (`UpstreamTlsContext`): the gateway
 * forwards the token (`forward: true`) and the call to it.
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
export const plaintextUpstream: LintRule = {
  id: "plaintext-upstream",
  area: "tls",
  severity: "error",
  reason: "the forwarded token and the call travel to the cluster in clear text",
  *check(ctx) {
    for (const { cluster, name, tls } of clusterTls(ctx))
      if (!tls)
        yield {
          node: cluster,
          field: "name",
          message: `cluster ${name} has no UpstreamTlsContext`,
        };
  },
};
