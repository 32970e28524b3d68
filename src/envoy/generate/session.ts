/**
 * Session mode (backend-for-frontend) pieces of the bootstrap: Envoy's oauth2 filter as a
 * confidential OIDC client, the csrf filter, the sign-in route, the token endpoint cluster and the
 * two secrets. Everything after the oauth2 filter (jwt_authn, RBAC, router) is the token mode's,
 * unchanged: the filter puts the access token from its cookie into `authorization: Bearer`.
 *
 * Behaviour checked against Envoy 1.40 (test/envoy/integration/session.test.ts).
 */
import type { AccessPolicy } from "../../access/index.js";
import { type JsonObject, seconds, typed } from "./json.js";
import type { GatewayModel, SessionModel } from "./model.js";
import { type GatewayPathPolicy, rbacPerRoute } from "./rbac.js";

/** The gateway paths of session mode (on the gateway's origin). */
export const SESSION_PATHS = {
  /** The IdP redirects here with the code (the oauth2 filter redeems it). */
  callback: "/oauth2/callback",
  /** A top-level navigation here signs in (when needed), then lands on the app. */
  signin: "/oauth2/signin",
  /** A top-level navigation here clears every session cookie and ends the IdP session. */
  signout: "/oauth2/signout",
} as const;

/**
 * Cookie names. `__Host-` makes the browser refuse the cookie unless it is Secure, has
 * `Path=/` and no `Domain`: no sibling subdomain can set or shadow the session.
 */
export const SESSION_COOKIES = {
  bearer_token: "__Host-gwo-at",
  oauth_hmac: "__Host-gwo-hmac",
  oauth_expires: "__Host-gwo-exp",
  id_token: "__Host-gwo-id",
  refresh_token: "__Host-gwo-rt",
  oauth_nonce: "__Host-gwo-nonce",
  code_verifier: "__Host-gwo-pkce",
} as const;

/** RBAC lets a signed-in caller reach the sign-in landing (a redirect to the app). */
export const SIGNIN_POLICY: GatewayPathPolicy = {
  name: "session/signin",
  path: SESSION_PATHS.signin,
  rule: { kind: "authenticated" },
};

/** Same-origin deployment: what a signed-in browser may GET from the app's static file server. */
export const APP_POLICY: Omit<GatewayPathPolicy, "path"> = {
  name: "session/app",
  rule: { kind: "authenticated" },
};
/** The cluster of the app's static file server (same-origin deployment). */
export const APP_CLUSTER = "app";

/**
 * How long one token request (code exchange or refresh) may take, retries included. A burst
 * of calls at expiry refreshes once per call (the filter does not coordinate), so the IdP
 * answers up to that many refreshes at once.
 */
export const TOKEN_REQUEST_TIMEOUT_SECONDS = 10;

/** The token endpoint's cluster. */
export const OAUTH_TOKEN_CLUSTER = "oauth_token";
export const OAUTH2_FILTER = "envoy.filters.http.oauth2";
export const CSRF_FILTER = "envoy.filters.http.csrf";

/** SDS resource names of the two secrets. */
export const SESSION_SECRETS = {
  clientSecret: "oauth_client_secret",
  hmac: "oauth_hmac",
} as const;

/**
 * Requests that must get a 401 instead of a 302 to the IdP: anything that is not a top-level
 * navigation. A gRPC-Web call that followed a redirect would get the IdP's HTML and fail as
 * Unknown; the 401 leaves as UNAUTHENTICATED through the grpc_web filter.
 */
export const DENY_REDIRECT_MATCHERS: readonly JsonObject[] = [
  { name: "x-grpc-web", present_match: true },
  { name: "content-type", string_match: { prefix: "application/grpc" } },
  // Browsers mark fetch/XHR with cors, no-cors or same-origin; only navigations are redirected.
  { name: "sec-fetch-mode", string_match: { exact: "navigate" }, invert_match: true },
];

/**
 * The headers an RPC route requires in session mode. A cross-site HTML form can send neither a
 * custom header nor a gRPC content type, and a cross-site fetch that sends them needs a CORS
 * preflight, which only the allowed origins pass: so a cookie-carrying request that is not a
 * same-origin (or allowed-origin) gRPC-Web call matches no RPC route.
 */
export const RPC_ROUTE_HEADERS: readonly JsonObject[] = [
  { name: ":method", string_match: { exact: "POST" } },
  { name: "content-type", string_match: { prefix: "application/grpc" } },
  { name: "x-grpc-web", present_match: true },
];

/** A CORS preflight: the cors filter answers it on this route and it never reaches the backend. */
export const PREFLIGHT_HEADER: JsonObject = { name: ":method", string_match: { exact: "OPTIONS" } };

/** The session model, or a thrown error naming the caller's mistake (filter enabled without one). */
function sessionOf(model: GatewayModel): SessionModel {
  if (!model.session) throw new Error("session filter enabled without a session model");
  return model.session;
}

function sdsSecretRef(model: GatewayModel, name: string, file: string): JsonObject {
  return {
    name,
    sds_config: {
      path_config_source: {
        path: `${model.sds.dir}/${file}`,
        watched_directory: { path: model.sds.dir },
      },
      resource_api_version: "V3",
    },
  };
}

/** SDS file name of each session secret. */
export const SESSION_SDS_FILES = {
  [SESSION_SECRETS.clientSecret]: "oauth-client-secret.yaml",
  [SESSION_SECRETS.hmac]: "oauth-hmac.yaml",
} as const;

/** The `envoy.filters.http.oauth2` typed_config. */
export function oauth2FilterConfig(model: GatewayModel, policy: AccessPolicy): JsonObject {
  const s = sessionOf(model);
  const publicPaths = policy.methods.filter((m) => m.rule?.kind === "public").map((m) => m.path);
  const sameSite = s.sameSite === "Strict" ? "STRICT" : "LAX";
  const cookie = (site: string): JsonObject => ({ same_site: site });
  const appOrigin = new URL(s.appUrl);
  return typed("envoy.extensions.filters.http.oauth2.v3.OAuth2", {
    config: {
      stat_prefix: "session",
      token_endpoint: {
        uri: s.tokenEndpoint,
        cluster: OAUTH_TOKEN_CLUSTER,
        timeout: seconds(TOKEN_REQUEST_TIMEOUT_SECONDS),
      },
      // A token request lost to a reset, a refused connection or a 5xx is retried: a failed
      // refresh answers the call UNAUTHENTICATED. Envoy turns this core RetryPolicy into a route
      // retry policy whose per-try timeout is retry_back_off.max_interval
      // (Http::Utility::convertCoreToRouteRetryPolicy), so max_interval is the whole timeout:
      // a shorter one cut slow refreshes off and retried them (a burst of 50 at expiry made
      // Keycloak's refreshes exceed 1 s: 41 of 50 calls failed with 504 "upstream request
      // timeout"), and a cut-off refresh the IdP completed has spent its refresh token.
      retry_policy: {
        retry_back_off: {
          base_interval: "0.1s",
          max_interval: seconds(TOKEN_REQUEST_TIMEOUT_SECONDS),
        },
        num_retries: 2,
      },
      authorization_endpoint: s.authorizationEndpoint,
      ...(s.endSessionEndpoint
        ? {
            end_session_endpoint: s.endSessionEndpoint,
            post_logout_redirect_uri: { uri: appOrigin.href },
          }
        : {}),
      credentials: {
        client_id: s.clientId,
        token_secret: sdsSecretRef(
          model,
          SESSION_SECRETS.clientSecret,
          SESSION_SDS_FILES[SESSION_SECRETS.clientSecret],
        ),
        hmac_secret: sdsSecretRef(
          model,
          SESSION_SECRETS.hmac,
          SESSION_SDS_FILES[SESSION_SECRETS.hmac],
        ),
        cookie_names: { ...SESSION_COOKIES },
      },
      redirect_uri: `${s.gatewayOrigin}${SESSION_PATHS.callback}`,
      redirect_path_matcher: { path: { exact: SESSION_PATHS.callback } },
      signout_path: { path: { exact: SESSION_PATHS.signout } },
      // The access token goes to jwt_authn as `authorization: Bearer`: nothing after changes.
      forward_bearer_token: true,
      // Public methods (health) need no session.
      pass_through_matcher: publicPaths.map((path) => ({
        name: ":path",
        string_match: { exact: path },
      })),
      auth_scopes: [...s.scopes],
      ...(s.resources.length > 0 ? { resources: [...s.resources] } : {}),
      auth_type: "BASIC_AUTH",
      use_refresh_token: true,
      deny_redirect_matcher: [...DENY_REDIRECT_MATCHERS],
      default_refresh_token_expires_in: seconds(s.refreshTokenLifetimeSeconds),
      cookie_configs: {
        bearer_token_cookie_config: cookie(sameSite),
        oauth_hmac_cookie_config: cookie(sameSite),
        oauth_expires_cookie_config: cookie(sameSite),
        id_token_cookie_config: cookie(sameSite),
        refresh_token_cookie_config: cookie(sameSite),
        // Read on the callback, a top-level navigation coming from the IdP's site: a Strict
        // cookie would not be sent there, and sign-in would fail.
        oauth_nonce_cookie_config: cookie("LAX"),
        code_verifier_cookie_config: cookie("LAX"),
      },
    },
  });
}

/** `host[:port]` of an origin, as Envoy's csrf filter compares it. */
function hostAndPort(origin: string): string {
  return new URL(origin).host;
}

/**
 * The `envoy.filters.http.csrf` typed_config: a POST whose `Origin` is neither the gateway's own
 * nor an allowed origin gets 403 before the oauth2 filter reads (or refreshes) its cookies.
 */
export function csrfFilterConfig(model: GatewayModel): JsonObject {
  const s = sessionOf(model);
  const origins = [...new Set([s.gatewayOrigin, ...model.cors.allowedOrigins].map(hostAndPort))];
  return typed("envoy.extensions.filters.http.csrf.v3.CsrfPolicy", {
    filter_enabled: { default_value: { numerator: 100, denominator: "HUNDRED" } },
    additional_origins: origins.map((exact) => ({ exact })),
  });
}

/** Per-route config that turns the csrf filter off (public methods: no cookie is needed there). */
export function csrfOffForRoute(): JsonObject {
  return {
    [CSRF_FILTER]: typed("envoy.extensions.filters.http.csrf.v3.CsrfPolicy", {
      filter_enabled: { default_value: { numerator: 0, denominator: "HUNDRED" } },
    }),
  };
}

/** The sign-in route: after the oauth2 filter has a session, the browser goes to the app. */
export function sessionRoutes(model: GatewayModel): JsonObject[] {
  const s = sessionOf(model);
  const app = new URL(s.appUrl);
  return [
    {
      match: { path: SESSION_PATHS.signin },
      redirect: {
        https_redirect: true,
        host_redirect: app.hostname,
        ...(app.port ? { port_redirect: Number(app.port) } : {}),
        path_redirect: app.pathname,
        response_code: "FOUND",
      },
    },
  ];
}

/**
 * Same-origin deployment: GET and HEAD requests that no earlier route took (RPCs need POST) go to
 * the app's files. The oauth2 filter has already redirected a navigation without a session to the
 * IdP and answered anything else without one with 401. Neither the access token nor the session
 * cookies reach the file server.
 */
export function appRoute(model: GatewayModel): JsonObject {
  const s = sessionOf(model);
  if (!s.app) throw new Error("app route without session.app");
  return {
    match: {
      prefix: "/",
      headers: [{ name: ":method", string_match: { safe_regex: { regex: "GET|HEAD" } } }],
    },
    // A file download is bounded as a whole (the route timeout would also do, but this is the one
    // form the lint accepts on a gRPC-Web listener, where any other route may carry a stream).
    route: {
      cluster: APP_CLUSTER,
      timeout: "0s",
      max_stream_duration: { max_stream_duration: "60s" },
    },
    request_headers_to_remove: ["authorization", "cookie"],
    typed_per_filter_config: {
      "envoy.filters.http.rbac": rbacPerRoute(APP_POLICY, {
        issuer: model.jwt.issuer,
        scopeClaim: model.jwt.scopeClaim,
        rolesClaim: model.jwt.rolesClaim,
      }),
    },
  };
}

/** The SDS documents of the two secrets: file name → resource body (generic secrets from files). */
export function sessionSdsSecrets(session: SessionModel): Record<string, JsonObject> {
  const generic = (file: string): JsonObject => ({
    generic_secret: {
      secret: {
        filename: file,
        // A Secret mount swaps its `..data` link on rotation; Envoy re-reads on a move there.
        watched_directory: { path: file.slice(0, file.lastIndexOf("/")) || "/" },
      },
    },
  });
  return {
    [SESSION_SECRETS.clientSecret]: generic(session.clientSecretFile),
    [SESSION_SECRETS.hmac]: generic(session.hmacSecretFile),
  };
}
