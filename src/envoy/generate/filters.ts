/**
 * The HTTP filter chain: one fixed order, in one table, each entry with the
 * reason it sits where it does (the Envoy Gateway pattern,
 * internal/xds/translator/httpfilters.go). Nothing else in the generator
 * decides order.
 */
import type { AccessPolicy } from "../../access/index.js";
import { EXT_AUTHZ_FILTER, extAuthzConfig, tokenLocations } from "./dpop.js";
import { type JsonObject, seconds, typed } from "./json.js";
import type { GatewayModel } from "./model.js";
import { JWT_FILTER, JWT_PAYLOAD_KEY, RBAC_FILTER, rbacFilterConfig } from "./rbac.js";
import {
  CSRF_FILTER,
  csrfFilterConfig,
  OAUTH2_FILTER,
  oauth2FilterConfig,
  SIGNIN_POLICY,
} from "./session.js";
import {
  accessTokenCheckConfig,
  accessTokenEnforceConfig,
  JWT_FAILURE_KEY,
  JWT_HEADER_KEY,
  TOKEN_CHECK_FILTER,
  TOKEN_FILTER,
} from "./token-acceptance.js";

/** What a filter's config is built from. */
export interface FilterContext {
  readonly model: GatewayModel;
  readonly policy: AccessPolicy;
  /** Name of the cluster that serves the JWKS. */
  readonly jwksCluster: string;
  /** Name of the upstream (backend) cluster, which also serves the DPoP verifier. */
  readonly backendCluster: string;
}

/** One row of the filter-order table. */
export interface FilterSpec {
  /** Envoy filter name (also the `typed_per_filter_config` key). */
  readonly name: string;
  /** Why it sits at this position. */
  readonly why: string;
  /** False: left out of the chain for this model. */
  readonly enabled: (ctx: FilterContext) => boolean;
  readonly config: (ctx: FilterContext) => JsonObject;
}

/** Verified tokens jwt_authn keeps per worker thread (`jwt_cache_config`). */
export const JWT_CACHE_SIZE = 1000;

/** Name of the per-connection rate limit (a second local_ratelimit, found by its type). */
export const CONNECTION_RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit.per_connection";

/** Provider name in jwt_authn. */
export const JWT_PROVIDER = "oidc";
export const CORS_FILTER = "envoy.filters.http.cors";

/** The filter that records the backend's grpc-status for the access log. */
export const GRPC_STATUS_FILTER = "envoy.filters.http.lua";
/** Dynamic metadata namespace and key the access log reads the gRPC status from. */
export const GRPC_STATUS_METADATA = { namespace: "grpc_web_oidc", key: "grpc_status" } as const;

// Trailers-only replies (backend errors) carry grpc-status in the headers, where
// %GRPC_STATUS% finds it; otherwise it is in the trailers, after the body.
const GRPC_STATUS_LUA = `function envoy_on_response(handle)
  local status = handle:headers():get("grpc-status")
  if status == nil then
    for _ in handle:bodyChunks() do end
    local trailers = handle:trailers()
    if trailers ~= nil then status = trailers:get("grpc-status") end
  end
  local code = status and tonumber(status)
  if code ~= nil then
    handle:streamInfo():dynamicMetadata():set("${GRPC_STATUS_METADATA.namespace}", "${GRPC_STATUS_METADATA.key}", code)
  end
end
`;

const always = () => true;
const sessionMode = (ctx: FilterContext) => ctx.model.session !== undefined;

/** The chain, in order. */
export const HTTP_FILTERS: readonly FilterSpec[] = [
  {
    name: CORS_FILTER,
    why:
      "first: preflights are answered before any auth (browsers never send credentials on a preflight), " +
      "and as the outermost encoder it adds CORS headers to every reply, local ones included, so the browser can read grpc-status",
    enabled: always,
    config: () => typed("envoy.extensions.filters.http.cors.v3.Cors"),
  },
  {
    name: "envoy.filters.http.grpc_web",
    why:
      "second: translates gRPC-Web to gRPC before any filter can answer locally, so the jwt_authn, rbac and " +
      "rate-limit denials pass its encoder and get the gRPC-Web content type (text or binary, as the caller asked); " +
      "the connection manager's local_reply_config (local-replies.ts) has already made them HTTP 200 trailers-only " +
      "replies with grpc-status and grpc-message, which every gRPC-Web client reads alike. The auth filters only read " +
      "headers and the path, which translation keeps. (Envoy Gateway puts it next to the router, where local replies " +
      "of earlier filters never pass its encoder.)",
    enabled: always,
    config: () => typed("envoy.extensions.filters.http.grpc_web.v3.GrpcWeb"),
  },
  {
    name: CONNECTION_RATE_LIMIT_FILTER,
    why:
      "before auth: a token bucket per downstream connection (limits.requestsPerConnection), so one connection's " +
      "request flood is refused before it costs a JWT verification or reaches the backend; after grpc_web and cors, " +
      "so the refusal leaves as a readable gRPC-Web status (local_reply_config: 429 → RESOURCE_EXHAUSTED). Other connections keep their own buckets",
    enabled: (ctx) => ctx.model.limits.requestsPerConnection > 0,
    config: connectionRateLimitConfig,
  },
  {
    name: CSRF_FILTER,
    why:
      "session mode, before oauth2: a POST whose Origin is neither the gateway's nor an allowed origin gets 403 " +
      "before any cookie is read or a refresh token spent; after grpc_web, so a refused gRPC-Web call reads PERMISSION_DENIED",
    enabled: sessionMode,
    config: (ctx) => csrfFilterConfig(ctx.model),
  },
  {
    name: OAUTH2_FILTER,
    why:
      "session mode: turns the encrypted session cookies into `authorization: Bearer` for jwt_authn (refreshing when " +
      "expired), redirects navigations to the IdP and answers other requests without a session with 401, which " +
      "grpc_web turns into UNAUTHENTICATED",
    enabled: sessionMode,
    config: (ctx) => oauth2FilterConfig(ctx.model, ctx.policy),
  },
  {
    name: JWT_FILTER,
    why: "verifies the bearer token before anything reads claims; writes the payload to metadata for rbac",
    enabled: always,
    config: jwtAuthnConfig,
  },
  {
    name: TOKEN_CHECK_FILTER,
    why:
      "right after jwt_authn: records (shadow rules, denies nothing) whether the request passes the checks " +
      "jwt_authn cannot make (exactly `Bearer <jws>` (or `DPoP <jws>`) in the header, header typ, required claim values), " +
      "so that the next filter's refusal can be recognised by the local reply mappers (token-acceptance.ts)",
    enabled: always,
    config: (ctx) => accessTokenCheckConfig(ctx.policy, ctx.model.jwt, ctx.model.dpop),
  },
  {
    name: TOKEN_FILTER,
    why:
      "refuses what the check recorded as not an accepted access token, before per-method authorization; " +
      "the refusal leaves as 401/UNAUTHENTICATED, as at the backend",
    enabled: always,
    config: () => accessTokenEnforceConfig(),
  },
  {
    name: EXT_AUTHZ_FILTER,
    why:
      "after the token checks (only with dpop): checks the DPoP proof of every authenticated call with the backend " +
      "kit's verifier before authorization and before the backend; reads jwt_authn's payload (cnf.jkt); fails closed",
    enabled: (ctx) => ctx.model.dpop !== undefined,
    config: (ctx) => {
      if (!ctx.model.dpop) throw new Error("ext_authz enabled without dpop");
      return extAuthzConfig(ctx.model.dpop, ctx.backendCluster);
    },
  },
  {
    name: RBAC_FILTER,
    why: "per-method authorization from the proto options, on the claims jwt_authn just verified; default deny",
    enabled: always,
    config: (ctx) =>
      rbacFilterConfig(
        ctx.policy,
        {
          issuer: ctx.model.jwt.issuer,
          scopeClaim: ctx.model.jwt.scopeClaim,
          rolesClaim: ctx.model.jwt.rolesClaim,
        },
        ctx.model.session ? [SIGNIN_POLICY] : [],
      ),
  },
  {
    name: "envoy.filters.http.local_ratelimit",
    why:
      "after auth, so rejected callers cannot spend the budget of authorized ones; " +
      "filter_enabled and filter_enforced both at 100% (either alone is a no-op)",
    enabled: (ctx) => ctx.model.rateLimit !== undefined,
    config: localRateLimitConfig,
  },
  {
    name: GRPC_STATUS_FILTER,
    why:
      "just before the router, so it sees the backend's trailers before grpc_web folds them into the body " +
      "(where the access log's %GRPC_STATUS% no longer finds them): copies grpc-status into dynamic metadata " +
      "for the access log; passes the body through without buffering it",
    enabled: always,
    config: () =>
      typed("envoy.extensions.filters.http.lua.v3.Lua", {
        default_source_code: { inline_string: GRPC_STATUS_LUA },
      }),
  },
  {
    name: "envoy.filters.http.router",
    why: "terminal filter: forwards to the upstream cluster; must be last",
    enabled: always,
    config: () =>
      typed("envoy.extensions.filters.http.router.v3.Router", { suppress_envoy_headers: true }),
  },
];

/** The `http_filters` list of the connection manager. */
export function httpFilters(ctx: FilterContext): JsonObject[] {
  return HTTP_FILTERS.filter((f) => f.enabled(ctx)).map((f) => ({
    name: f.name,
    typed_config: f.config(ctx),
  }));
}

function jwtAuthnConfig(ctx: FilterContext): JsonObject {
  const { jwt } = ctx.model;
  // Public methods (health first) are exempt: a rule without `requires` skips verification.
  const exempt = ctx.policy.methods.filter((m) => m.rule?.kind === "public").map((m) => m.path);
  return typed("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", {
    providers: {
      [JWT_PROVIDER]: {
        issuer: jwt.issuer,
        audiences: [...jwt.audiences],
        // Only the Authorization header: setting from_headers also turns off the
        // default `access_token` query parameter. With DPoP, the `DPoP` scheme.
        from_headers: tokenLocations(ctx.model.dpop),
        require_expiration: true,
        clock_skew_seconds: jwt.clockSkewSeconds,
        remote_jwks: {
          http_uri: { uri: jwt.jwksUri, cluster: ctx.jwksCluster, timeout: "5s" },
          cache_duration: seconds(jwt.jwksCacheSeconds),
          async_fetch: { failed_refetch_duration: "1s" },
          retry_policy: { num_retries: 3 },
        },
        // The backend verifies the token again, so it must reach it.
        forward: true,
        payload_in_metadata: JWT_PAYLOAD_KEY,
        // For the token-acceptance filter (typ) and the local reply mapper (audience → 401).
        header_in_metadata: JWT_HEADER_KEY,
        failed_status_in_metadata: JWT_FAILURE_KEY,
        normalize_payload_in_metadata: { space_delimited_claims: [jwt.scopeClaim] },
        // Verify a token once per worker thread, not on every call: entries end at the
        // token's exp (Envoy checks it on every hit), at most JWT_CACHE_SIZE per thread,
        // tokens up to 4 KB. Envoy keeps an entry when the JWKS drops its key; the backend
        // kit's own cache re-checks the key on every call and refuses such a token.
        jwt_cache_config: { jwt_cache_size: JWT_CACHE_SIZE },
      },
    },
    rules: [
      ...exempt.map((path) => ({ match: { path } })),
      // Catch-all: in Envoy a request that matches no rule passes unverified.
      { match: { prefix: "/" }, requires: { provider_name: JWT_PROVIDER } },
    ],
    bypass_cors_preflight: true,
  });
}

function localRateLimitConfig(ctx: FilterContext): JsonObject {
  const rl = ctx.model.rateLimit;
  if (!rl) throw new Error("rate limit filter enabled without a rate limit");
  const full = { default_value: { numerator: 100, denominator: "HUNDRED" } };
  return typed("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", {
    stat_prefix: "gateway_rate_limit",
    token_bucket: {
      max_tokens: rl.maxTokens,
      tokens_per_fill: rl.tokensPerFill,
      fill_interval: seconds(rl.fillIntervalSeconds),
    },
    filter_enabled: { runtime_key: "gateway_rate_limit_enabled", ...full },
    filter_enforced: { runtime_key: "gateway_rate_limit_enforced", ...full },
  });
}

function connectionRateLimitConfig(ctx: FilterContext): JsonObject {
  const rate = ctx.model.limits.requestsPerConnection;
  const full = { default_value: { numerator: 100, denominator: "HUNDRED" } };
  return typed("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", {
    stat_prefix: "connection_rate_limit",
    // A burst of two seconds' worth (a page load), refilled ten times a second.
    token_bucket: {
      max_tokens: 2 * rate,
      tokens_per_fill: Math.max(1, Math.ceil(rate / 10)),
      fill_interval: "0.1s",
    },
    filter_enabled: { runtime_key: "connection_rate_limit_enabled", ...full },
    filter_enforced: { runtime_key: "connection_rate_limit_enforced", ...full },
    local_rate_limit_per_downstream_connection: true,
    // RESOURCE_EXHAUSTED, not UNAVAILABLE: a client must not retry at once (gRPC-Web callers
    // get the same through local_reply_config's 429 mapper).
    rate_limited_as_resource_exhausted: true,
  });
}
