import { get, isMsg, oauth2Configs } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/** The cookies that carry or vouch for a token; nonce and PKCE cookies live for one sign-in. */
const TOKEN_COOKIES = [
  "bearer_token_cookie_config",
  "oauth_hmac_cookie_config",
  "oauth_expires_cookie_config",
  "id_token_cookie_config",
  "refresh_token_cookie_config",
] as const;

/**
 * The session cookies hold (or vouch for) the user's tokens. Each must carry SameSite Lax or
 * Strict, or the browser attaches it to cross-site requests (an unset SameSite sends no attribute,
 * which only some browsers treat as Lax); the tokens in them must stay encrypted
 * (`disable_token_encryption` off), and `cookie_domain` must stay unset so the cookies stay
 * host-only (which `__Host-` names require).
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
 *                         deny_redirect_matcher: [{ name: x-grpc-web, present_match: true }]
 *                         cookie_configs:
 *                           bearer_token_cookie_config: { same_site: LAX }
 *                           oauth_hmac_cookie_config: { same_site: LAX }
 *                           oauth_expires_cookie_config: { same_site: LAX }
 *                           id_token_cookie_config: { same_site: LAX }
 *                           refresh_token_cookie_config: { same_site: NONE }
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
export const oauth2CookieInsecure: LintRule = {
  id: "oauth2-cookie-insecure",
  area: "session",
  severity: "error",
  reason:
    "session cookies without SameSite Lax/Strict ride along on cross-site requests; unencrypted or domain-wide ones spread the tokens",
  *check(ctx) {
    for (const c of oauth2Configs(ctx)) {
      if (c.disable_token_encryption === true)
        yield {
          node: c,
          field: "disable_token_encryption",
          message: "the tokens in the session cookies must stay encrypted",
        };
      const configs = get(c, "cookie_configs");
      for (const cookie of TOKEN_COOKIES) {
        const site = get(configs, cookie, "same_site");
        if (site === "STRICT" || site === "LAX") continue;
        yield {
          node: isMsg(configs) ? configs : c,
          field: isMsg(configs) ? cookie : "cookie_configs",
          message: `${cookie}.same_site is ${typeof site === "string" ? site : "unset (no SameSite attribute)"}; use LAX or STRICT`,
        };
      }
      const credentials = get(c, "credentials");
      const domain = get(credentials, "cookie_domain");
      if (isMsg(credentials) && typeof domain === "string" && domain !== "")
        yield {
          node: credentials,
          field: "cookie_domain",
          message: `cookie_domain ${domain} shares the session with every subdomain; leave it unset`,
        };
    }
  },
};
