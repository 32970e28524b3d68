import { budgetShared } from "./bounds/budget-shared.js";
import { connectionCapMissing } from "./bounds/connection-cap-missing.js";
import { connectionIdleUnbounded } from "./bounds/connection-idle-unbounded.js";
import { http2StreamsUnbounded } from "./bounds/http2-streams-unbounded.js";
import { probeConnectionCap } from "./bounds/probe-connection-cap.js";
import { publicStreamAtEdge } from "./bounds/public-stream-at-edge.js";
import { streamDurationUnbounded } from "./bounds/stream-duration-unbounded.js";
import { tlsHandshakeUnbounded } from "./bounds/tls-handshake-unbounded.js";
import { corsAfterAuth } from "./cors/cors-after-auth.js";
import { corsAllowAuthorization } from "./cors/cors-allow-authorization.js";
import { corsDeprecatedField } from "./cors/cors-deprecated-field.js";
import { corsExposeHeaders } from "./cors/cors-expose-headers.js";
import { corsOriginInsecure } from "./cors/cors-origin-insecure.js";
import { corsOriginWildcard } from "./cors/cors-origin-wildcard.js";
import { dpopCorsHeaders } from "./dpop/dpop-cors-headers.js";
import { dpopWithoutProofCheck } from "./dpop/dpop-without-proof-check.js";
import { extAuthzFailOpen } from "./dpop/ext-authz-fail-open.js";
import { adminNonLoopback } from "./http/admin-non-loopback.js";
import { edgeRemoteAddressOff } from "./http/edge-remote-address-off.js";
import { grpcTimeoutResetsStreams } from "./http/grpc-timeout-resets-streams.js";
import { grpcWebMissing } from "./http/grpc-web-missing.js";
import { pathNormalizationOff } from "./http/path-normalization-off.js";
import { ratelimitNotEnforced } from "./http/ratelimit-not-enforced.js";
import { routeTimeoutCutsStreams } from "./http/route-timeout-cuts-streams.js";
import { underscoreHeadersAllowed } from "./http/underscore-headers-allowed.js";
import { healthNotExempt } from "./jwt/health-not-exempt.js";
import { jwtAllowMissing } from "./jwt/jwt-allow-missing.js";
import { jwtNoCatchAll } from "./jwt/jwt-no-catch-all.js";
import { streamCoverageGap } from "./jwt/stream-coverage-gap.js";
import { tokenOutsideHeader } from "./jwt/token-outside-header.js";
import { methodWithoutPolicy } from "./rbac/method-without-policy.js";
import { policyPathUnknown } from "./rbac/policy-path-unknown.js";
import { policyStale } from "./rbac/policy-stale.js";
import { rbacAllowAll } from "./rbac/rbac-allow-all.js";
import { rbacNoRules } from "./rbac/rbac-no-rules.js";
import { rbacPathHeader } from "./rbac/rbac-path-header.js";
import type { LintRule } from "./rule.js";
import { oauth2CookieInsecure } from "./session/oauth2-cookie-insecure.js";
import { oauth2MissingCsrf } from "./session/oauth2-missing-csrf.js";
import { oauth2RedirectXhr } from "./session/oauth2-redirect-xhr.js";
import { oauth2SecretInline } from "./session/oauth2-secret-inline.js";
import { jwksUnverifiedTls } from "./tls/jwks-unverified-tls.js";
import { plaintextListener } from "./tls/plaintext-listener.js";
import { plaintextUpstream } from "./tls/plaintext-upstream.js";
import { upstreamTlsNoCa } from "./tls/upstream-tls-no-ca.js";
import { upstreamTlsNoSan } from "./tls/upstream-tls-no-san.js";

/**
 * The security lint, in the order findings of one position are reported. Ids are
 * stable: tools and suppressions may rely on them. Each rule lives in its own file,
 * grouped by area; see README.md in this folder for how to add one.
 */
export const LINT_RULES: readonly LintRule[] = [
  plaintextListener,
  plaintextUpstream,
  grpcWebMissing,
  tokenOutsideHeader,
  streamCoverageGap,
  healthNotExempt,
  policyPathUnknown,
  methodWithoutPolicy,
  policyStale,
  corsOriginWildcard,
  corsOriginInsecure,
  corsAfterAuth,
  jwtNoCatchAll,
  jwtAllowMissing,
  dpopWithoutProofCheck,
  extAuthzFailOpen,
  rbacNoRules,
  rbacAllowAll,
  rbacPathHeader,
  adminNonLoopback,
  jwksUnverifiedTls,
  upstreamTlsNoCa,
  upstreamTlsNoSan,
  routeTimeoutCutsStreams,
  grpcTimeoutResetsStreams,
  corsExposeHeaders,
  corsAllowAuthorization,
  corsDeprecatedField,
  dpopCorsHeaders,
  ratelimitNotEnforced,
  pathNormalizationOff,
  underscoreHeadersAllowed,
  edgeRemoteAddressOff,
  oauth2SecretInline,
  oauth2CookieInsecure,
  oauth2MissingCsrf,
  oauth2RedirectXhr,
  tlsHandshakeUnbounded,
  connectionIdleUnbounded,
  http2StreamsUnbounded,
  connectionCapMissing,
  probeConnectionCap,
  budgetShared,
  publicStreamAtEdge,
  streamDurationUnbounded,
];
