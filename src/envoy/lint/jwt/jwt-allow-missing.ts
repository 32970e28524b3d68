import { isMsg, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * No jwt_authn requirement accepts a missing or failed token (`allow_missing`,
 * `allow_missing_or_failed`): either lets requests without a valid token through.
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
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - match: { prefix: / }
 *                           requires:
 *                             requires_any:
 *                               requirements: [{ provider_name: oidc }, { allow_missing: {} }]
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
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const jwtAllowMissing: LintRule = {
  id: "jwt-allow-missing",
  area: "jwt",
  severity: "error",
  reason: "allow_missing / allow_missing_or_failed let requests without a valid token through",
  *check(ctx) {
    for (const r of ctx.all(T.jwtRequirement)) {
      if (isMsg(r.allow_missing_or_failed))
        yield {
          node: r,
          field: "allow_missing_or_failed",
          message: "requirement accepts missing or failed tokens",
        };
      if (isMsg(r.allow_missing))
        yield {
          node: r,
          field: "allow_missing",
          message: "requirement accepts requests without a token",
        };
    }
  },
};
