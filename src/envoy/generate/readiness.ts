/**
 * When the gateway says it is ready, and what callers read while the IdP's keys are away.
 *
 * Envoy starts even when the JWKS cannot be fetched (jwt_authn's first fetch failing only
 * releases the listener), and then refuses every signed-in call. So `/ready` on the probe
 * listener needs the IdP's JWKS endpoint as well as the backend: an active HTTP health check
 * on the `jwks` cluster, healthy after one answer, unhealthy only after failing for as long as
 * the key cache lasts (`jwt.jwksCacheDuration`): a gateway that has keys stays ready through
 * an IdP outage, one that never had them is not ready. Calls refused because the keys cannot be
 * fetched read UNAVAILABLE, "token keys unavailable, try again", as at the backend kit, not
 * UNAUTHENTICATED (which would make the SDK spend a refresh on a token that is fine).
 */
import { Code } from "@connectrpc/connect";
import { JWKS_UNAVAILABLE_MESSAGE } from "../../server/authn-interceptor.js";
import type { JsonObject } from "./json.js";
import type { GatewayModel } from "./model.js";
import { JWT_FILTER } from "./rbac.js";
import { JWT_FAILURE_KEY } from "./token-acceptance.js";

/** jwt_authn's failure message when the JWKS could not be fetched (google::jwt_verify). */
export const JWKS_FETCH_FAILED = "Jwks remote fetch is failed";

/** Seconds between health checks of the JWKS endpoint. */
const JWKS_CHECK_INTERVAL_SECONDS = 5;

/** The active health check of the `jwks` cluster (only with a probe listener: it is for /ready). */
export function jwksHealthChecks(model: GatewayModel): JsonObject[] {
  if (!model.probe) return [];
  const url = new URL(model.jwt.jwksUri);
  return [
    {
      timeout: "2s",
      interval: `${JWKS_CHECK_INTERVAL_SECONDS}s`,
      // The cluster sees traffic every few minutes only; without this it checks once a minute.
      no_traffic_interval: `${JWKS_CHECK_INTERVAL_SECONDS}s`,
      healthy_threshold: 1,
      unhealthy_threshold: Math.max(
        2,
        Math.ceil(model.jwt.jwksCacheSeconds / JWKS_CHECK_INTERVAL_SECONDS),
      ),
      http_health_check: { host: url.host, path: `${url.pathname}${url.search}` },
    },
  ];
}

/** The clusters `/ready` requires healthy: the backend, and the IdP's JWKS endpoint. */
export function readyClusters(backendCluster: string, jwksCluster: string): JsonObject {
  return { [backendCluster]: { value: 100 }, [jwksCluster]: { value: 100 } };
}

/** The local-reply filter that recognises a refusal because the JWKS could not be fetched. */
export function jwksUnavailableFilter(): JsonObject {
  return {
    metadata_filter: {
      matcher: {
        filter: JWT_FILTER,
        path: [{ key: JWT_FAILURE_KEY }, { key: "message" }],
        value: { string_match: { exact: JWKS_FETCH_FAILED } },
      },
      match_if_key_not_found: false,
    },
  };
}

/** What callers read then: the backend kit's answer. */
export const JWKS_UNAVAILABLE_REPLY = {
  grpcStatus: Code.Unavailable,
  message: JWKS_UNAVAILABLE_MESSAGE,
} as const;
