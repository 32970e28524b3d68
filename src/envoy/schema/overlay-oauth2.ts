import protobuf from "protobufjs";

/**
 * The oauth2 filter API of Envoy 1.40, where the snapshot shipped in `@grpc/grpc-js-xds` is
 * older (it has no cookie SameSite settings, no PKCE cookie, no end-session endpoint). Field
 * names and numbers are those of the file descriptor compiled into the Envoy 1.40 binary
 * (`envoy/extensions/filters/http/oauth2/v3/oauth.proto`); the differential test runs the
 * session-mode config through that binary too.
 */
const OAUTH2_OVERLAY = `
syntax = "proto3";
package envoy.extensions.filters.http.oauth2.v3;
message CookieConfig {
  enum SameSite {
    DISABLED = 0;
    STRICT = 1;
    LAX = 2;
    NONE = 3;
  }
  SameSite same_site = 1;
  string path = 2;
  bool partitioned = 3;
}
message CookieConfigs {
  CookieConfig bearer_token_cookie_config = 1;
  CookieConfig oauth_hmac_cookie_config = 2;
  CookieConfig oauth_expires_cookie_config = 3;
  CookieConfig id_token_cookie_config = 4;
  CookieConfig refresh_token_cookie_config = 5;
  CookieConfig oauth_nonce_cookie_config = 6;
  CookieConfig code_verifier_cookie_config = 7;
}
message PrivateKeyJwtConfig {
  enum SigningAlgorithm {
    RS256 = 0;
    RS384 = 1;
    RS512 = 2;
    ES256 = 3;
    ES384 = 4;
    ES512 = 5;
  }
  SigningAlgorithm signing_algorithm = 1;
  google.protobuf.Duration assertion_lifetime = 2;
  string assertion_audience = 3;
}
message OAuth2TokenForwarding {
  string header = 1;
}
message PostLogoutRedirectUri {
  oneof redirect {
    bool disabled = 1;
    string uri = 2;
  }
}
message TokenCookieChunking {
  google.protobuf.UInt32Value max_cookie_size = 1;
  google.protobuf.UInt32Value max_chunks = 2;
}
message OAuth2PerRoute {
  OAuth2Config config = 1;
}
`;

const PKG = "envoy.extensions.filters.http.oauth2.v3";

/** Fields added to messages the snapshot already has: [message, name, id, type, repeated]. */
const ADDED_FIELDS: readonly [string, string, number, string, boolean][] = [
  ["OAuth2Credentials", "cookie_domain", 5, "string", false],
  ["OAuth2Credentials.CookieNames", "oauth_nonce", 6, "string", false],
  ["OAuth2Credentials.CookieNames", "code_verifier", 7, "string", false],
  ["OAuth2Config", "retry_policy", 18, "envoy.config.core.v3.RetryPolicy", false],
  ["OAuth2Config", "disable_access_token_set_cookie", 19, "bool", false],
  ["OAuth2Config", "disable_refresh_token_set_cookie", 20, "bool", false],
  ["OAuth2Config", "cookie_configs", 21, `${PKG}.CookieConfigs`, false],
  ["OAuth2Config", "stat_prefix", 22, "string", false],
  ["OAuth2Config", "end_session_endpoint", 23, "string", false],
  ["OAuth2Config", "csrf_token_expires_in", 24, "google.protobuf.Duration", false],
  ["OAuth2Config", "code_verifier_token_expires_in", 25, "google.protobuf.Duration", false],
  ["OAuth2Config", "disable_token_encryption", 26, "bool", false],
  ["OAuth2Config", "allow_failed_matcher", 27, "envoy.config.route.v3.HeaderMatcher", true],
  ["OAuth2Config", "original_request_uri", 28, "string", false],
  ["OAuth2Config", "allowed_redirect_domains", 29, "string", true],
  ["OAuth2Config", "use_access_token_expiry_for_id_token_cookie", 30, "bool", false],
  ["OAuth2Config", "forward_id_token", 31, `${PKG}.OAuth2TokenForwarding`, false],
  ["OAuth2Config", "private_key_jwt_config", 32, `${PKG}.PrivateKeyJwtConfig`, false],
  ["OAuth2Config", "post_logout_redirect_uri", 33, `${PKG}.PostLogoutRedirectUri`, false],
  ["OAuth2Config", "token_cookie_chunking", 34, `${PKG}.TokenCookieChunking`, false],
];

/** Brings the oauth2 types up to Envoy 1.40 once they are loaded (idempotent). */
export function applyOauth2Overlay(root: protobuf.Root): void {
  let config: protobuf.Type;
  try {
    config = root.lookupType(`.${PKG}.OAuth2Config`);
  } catch {
    return;
  }
  if (config.fields.cookie_configs) return; // a newer snapshot has it already
  protobuf.parse(OAUTH2_OVERLAY, root, { keepCase: true });
  for (const [message, name, id, type, repeated] of ADDED_FIELDS) {
    const t = root.lookupType(`.${PKG}.${message}`);
    t.add(new protobuf.Field(name, id, type, repeated ? "repeated" : undefined));
  }
  const authType = root.lookupEnum(`.${PKG}.OAuth2Config.AuthType`);
  if (authType.values.TLS_CLIENT_AUTH === undefined) authType.add("TLS_CLIENT_AUTH", 2);
  if (authType.values.PRIVATE_KEY_JWT === undefined) authType.add("PRIVATE_KEY_JWT", 3);
  root.resolveAll();
}
