import { msgs, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * jwt_authn providers read the token from the `Authorization` header only. Query parameters
 * and cookies leak into logs and ride along on cross-site requests; a provider without
 * `from_headers` also accepts Envoy's default `access_token` query parameter.
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
 *                           from_params: [access_token]
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
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const tokenOutsideHeader: LintRule = {
  id: "token-outside-header",
  area: "jwt",
  severity: "error",
  reason:
    "tokens in query strings or cookies leak into logs and are sent cross-site; accept only the Authorization header",
  *check(ctx) {
    for (const p of ctx.all(T.jwtProvider)) {
      if (Array.isArray(p.from_params) && p.from_params.length > 0)
        yield {
          node: p,
          field: "from_params",
          message: "jwt_authn provider accepts tokens from query parameters",
        };
      if (Array.isArray(p.from_cookies) && p.from_cookies.length > 0)
        yield {
          node: p,
          field: "from_cookies",
          message: "jwt_authn provider accepts tokens from cookies",
        };
      if (msgs(p.from_headers).length === 0)
        yield {
          node: p,
          field: "issuer",
          message:
            "jwt_authn provider has no from_headers, so the default access_token query parameter is accepted too",
        };
      for (const h of msgs(p.from_headers)) {
        if (String(h.name).toLowerCase() !== "authorization")
          yield {
            node: h,
            field: "name",
            message: `jwt_authn provider reads tokens from header ${String(h.name)}`,
          };
      }
    }
  },
};
