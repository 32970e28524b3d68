import { clustersByName, get, hasTrustedCa, isMsg, T, upstreamTls } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * The JWKS is fetched over TLS that verifies the IdP (a trusted CA and SNI): keys fetched over
 * plain http, or over TLS that verifies nothing, let a network attacker sign tokens.
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
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           remote_jwks:
 *                             http_uri: { uri: https://login.example.com/jwks, cluster: jwks, timeout: 5s }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: jwks
 *       type: STRICT_DNS
 *       load_assignment:
 *         cluster_name: jwks
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: login.example.com, port_value: 443 } } }
 *       transport_socket:
 *         name: envoy.transport_sockets.tls
 *         typed_config:
 *           "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
 *           sni: login.example.com
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
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           remote_jwks:
 *                             http_uri: { uri: https://login.example.com/jwks, cluster: jwks, timeout: 5s }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: jwks
 *       type: STRICT_DNS
 *       load_assignment:
 *         cluster_name: jwks
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: login.example.com, port_value: 443 } } }
 *       transport_socket:
 *         name: envoy.transport_sockets.tls
 *         typed_config:
 *           "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
 *           sni: login.example.com
 *           common_tls_context:
 *             validation_context:
 *               trusted_ca: { filename: /etc/envoy/tls/idp-ca.crt }
 * ```
 */
export const jwksUnverifiedTls: LintRule = {
  id: "jwks-unverified-tls",
  area: "tls",
  severity: "error",
  reason: "keys fetched over TLS that verifies nothing let a network attacker sign tokens",
  *check(ctx) {
    const clusters = clustersByName(ctx);
    for (const p of ctx.all(T.jwtProvider)) {
      const uri = get(p, "remote_jwks", "http_uri");
      if (!isMsg(uri)) continue;
      if (typeof uri.uri === "string" && uri.uri.startsWith("http:"))
        yield { node: uri, field: "uri", message: "JWKS fetched over plain http" };
      const c = typeof uri.cluster === "string" ? clusters.get(uri.cluster) : undefined;
      if (!c) continue;
      const tls = upstreamTls(c);
      if (!tls)
        yield {
          node: uri,
          field: "cluster",
          message: `JWKS cluster ${String(uri.cluster)} has no TLS`,
        };
      else if (!hasTrustedCa(tls))
        yield {
          node: tls,
          field: "common_tls_context",
          message: `JWKS cluster ${String(uri.cluster)} does not verify the server certificate (no trusted_ca)`,
        };
      else if (typeof tls.sni !== "string" || tls.sni === "")
        yield {
          node: tls,
          field: "@type",
          message: `JWKS cluster ${String(uri.cluster)} sends no SNI`,
        };
    }
  },
};
