import {
  isConditional,
  jwtFilters,
  msgs,
  routeMatchPath,
  ruleRequires,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * jwt_authn rules end with a catch-all (`prefix: /`, no header or query condition) that
 * requires a provider: in Envoy a request that matches no rule passes unverified.
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
 *                         - { match: { prefix: /demo.v1.NotesService/ }, requires: { provider_name: oidc } }
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
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - match: { prefix: / }
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
 *                         - match: { path: /grpc.health.v1.Health/Check }
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const jwtNoCatchAll: LintRule = {
  id: "jwt-no-catch-all",
  area: "jwt",
  severity: "error",
  reason:
    'in Envoy a request that matches no jwt_authn rule passes unverified; end the rules with prefix "/" requiring a provider',
  *check(ctx) {
    for (const jwt of jwtFilters(ctx)) {
      const catchAll = msgs(jwt.rules).find(
        (r) =>
          routeMatchPath(r.match, "/") &&
          routeMatchPath(r.match, "/x.Y/Z") &&
          !isConditional(r.match),
      );
      if (!catchAll)
        yield {
          node: jwt,
          field: "rules",
          message: 'jwt_authn has no catch-all rule (prefix "/") requiring a provider',
        };
      else if (!ruleRequires(jwt, catchAll))
        yield {
          node: catchAll,
          field: "match",
          message: "jwt_authn catch-all rule does not require a provider",
        };
    }
  },
};
