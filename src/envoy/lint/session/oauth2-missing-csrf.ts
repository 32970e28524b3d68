import {
  connectionManagers,
  FILTER_TYPES,
  filterIndex,
  get,
  httpFilters,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Browsers attach the session cookies on their own, so a cross-site page can make the user's
 * browser send a POST with them. An enforced csrf filter (`filter_enabled` 100%) must run before
 * the oauth2 filter, so that such a request gets 403 before a cookie is read or a refresh token is
 * spent.
 *
 * ### Invalid
 *
 * ```yaml
 * node: { id: gateway, cluster: gateway }
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
 *                   - name: envoy.filters.http.oauth2
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2
 *                       config:
 *                         token_endpoint: { uri: https://login.example.com/token, cluster: idp, timeout: 5s }
 *                         authorization_endpoint: https://login.example.com/auth
 *                         redirect_uri: https://api.example.com/oauth2/callback
 *                         redirect_path_matcher: { path: { exact: /oauth2/callback } }
 *                         signout_path: { path: { exact: /oauth2/signout } }
 *                         forward_bearer_token: true
 *                         credentials:
 *                           client_id: gateway
 *                           token_secret: { name: client, sds_config: { path_config_source: { path: /etc/envoy/sds/client.yaml } } }
 *                           hmac_secret: { name: hmac, sds_config: { path_config_source: { path: /etc/envoy/sds/hmac.yaml } } }
 *                         deny_redirect_matcher: [{ name: x-grpc-web, present_match: true }]
 *                         cookie_configs:
 *                           bearer_token_cookie_config: { same_site: LAX }
 *                           oauth_hmac_cookie_config: { same_site: LAX }
 *                           oauth_expires_cookie_config: { same_site: LAX }
 *                           id_token_cookie_config: { same_site: LAX }
 *                           refresh_token_cookie_config: { same_site: LAX }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: idp
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: idp
 *         endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9443 } } } }] }]
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * node: { id: gateway, cluster: gateway }
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
 *                   - name: envoy.filters.http.csrf
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy
 *                       filter_enabled: { default_value: { numerator: 100 } }
 *                   - name: envoy.filters.http.oauth2
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2
 *                       config:
 *                         token_endpoint: { uri: https://login.example.com/token, cluster: idp, timeout: 5s }
 *                         authorization_endpoint: https://login.example.com/auth
 *                         redirect_uri: https://api.example.com/oauth2/callback
 *                         redirect_path_matcher: { path: { exact: /oauth2/callback } }
 *                         signout_path: { path: { exact: /oauth2/signout } }
 *                         forward_bearer_token: true
 *                         credentials:
 *                           client_id: gateway
 *                           token_secret: { name: client, sds_config: { path_config_source: { path: /etc/envoy/sds/client.yaml } } }
 *                           hmac_secret: { name: hmac, sds_config: { path_config_source: { path: /etc/envoy/sds/hmac.yaml } } }
 *                         deny_redirect_matcher: [{ name: x-grpc-web, present_match: true }]
 *                         cookie_configs:
 *                           bearer_token_cookie_config: { same_site: LAX }
 *                           oauth_hmac_cookie_config: { same_site: LAX }
 *                           oauth_expires_cookie_config: { same_site: LAX }
 *                           id_token_cookie_config: { same_site: LAX }
 *                           refresh_token_cookie_config: { same_site: LAX }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: idp
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: idp
 *         endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9443 } } } }] }]
 * ```
 */
export const oauth2MissingCsrf: LintRule = {
  id: "oauth2-missing-csrf",
  area: "session",
  severity: "error",
  reason:
    "without an enforced csrf filter before oauth2, a cross-site POST runs with the user's session cookies",
  *check(ctx) {
    for (const { hcm } of connectionManagers(ctx)) {
      const filters = httpFilters(hcm);
      const oauth = filterIndex(filters, FILTER_TYPES.oauth2);
      if (oauth < 0) continue;
      const csrf = filterIndex(filters, FILTER_TYPES.csrf);
      const pct = get(
        filters[csrf]?.filter,
        "typed_config",
        "filter_enabled",
        "default_value",
        "numerator",
      );
      if (csrf >= 0 && csrf < oauth && pct === 100) continue;
      yield {
        node: filters[oauth]?.filter ?? hcm,
        field: "name",
        message:
          csrf < 0
            ? "the oauth2 filter runs without a csrf filter"
            : csrf > oauth
              ? "the csrf filter runs after the oauth2 filter"
              : "the csrf filter is not enforced for 100% of requests (filter_enabled)",
      };
    }
  },
};
