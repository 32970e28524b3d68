import { get, isMsg, oauth2Configs } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * The oauth2 filter's client secret and HMAC key must come through SDS (`sds_config`, e.g. a
 * file a Secret is mounted at), never as a static secret written into the bootstrap: config text
 * is copied, dumped (`/config_dump`), diffed and committed, and every copy leaks the secret.
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
 *                           token_secret: { name: client }
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
 *   secrets:
 *     - name: client
 *       generic_secret: { secret: { inline_string: not-a-real-secret } }
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
export const oauth2SecretInline: LintRule = {
  id: "oauth2-secret-inline",
  area: "session",
  severity: "error",
  reason:
    "a client or HMAC secret written into the config text leaks with every copy, dump and diff of it; deliver it through SDS",
  *check(ctx) {
    for (const c of oauth2Configs(ctx)) {
      for (const key of ["token_secret", "hmac_secret"]) {
        const ref = get(c, "credentials", key);
        if (isMsg(ref) && !isMsg(ref.sds_config))
          yield {
            node: ref,
            field: "name",
            message: `${key} ${String(ref.name ?? "")} is a static secret of the bootstrap, not SDS`,
          };
      }
    }
  },
};
