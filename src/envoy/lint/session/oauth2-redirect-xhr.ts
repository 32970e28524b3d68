import { isMsg, matchesGrpcWebCall, msgs, oauth2Configs } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A gRPC-Web call without a session must get 401, which the grpc_web filter turns into
 * UNAUTHENTICATED; a 302 to the login page is followed by fetch and the call fails as Unknown with
 * the IdP's HTML. Some `deny_redirect_matcher` must catch gRPC-Web calls (`x-grpc-web` present, a
 * `content-type` of `application/grpc-web`, or `sec-fetch-mode` other than `navigate`).
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
 *                           token_secret: { name: client, sds_config: { path_config_source: { path: /etc/envoy/sds/client.yaml } } }
 *                           hmac_secret: { name: hmac, sds_config: { path_config_source: { path: /etc/envoy/sds/hmac.yaml } } }
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
export const oauth2RedirectXhr: LintRule = {
  id: "oauth2-redirect-xhr",
  area: "session",
  severity: "error",
  reason:
    "a gRPC-Web call without a session that gets a 302 to the login page fails as Unknown; it must get 401 (UNAUTHENTICATED)",
  *check(ctx) {
    for (const c of oauth2Configs(ctx)) {
      if (!matchesGrpcWebCall(msgs(c.deny_redirect_matcher)))
        yield {
          node: c,
          field:
            isMsg(c) && "deny_redirect_matcher" in c ? "deny_redirect_matcher" : "redirect_uri",
          message:
            "no deny_redirect_matcher catches gRPC-Web calls (x-grpc-web, content-type application/grpc-web)",
        };
    }
  },
};
