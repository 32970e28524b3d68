/**
 * RBAC from the proto access options (src/access): one ALLOW policy per method,
 * matched by exact `url_path`, with principals read from the jwt_authn payload
 * metadata. Anything without a policy (methods without an option, unknown
 * paths) is denied, because an ALLOW action denies every request that matches
 * no policy.
 */
import type { AccessPolicy, AccessRule } from "../../access/index.js";
import type { JsonObject } from "./json.js";
import { typed } from "./json.js";

/** The RBAC filter's name (also its `typed_per_filter_config` key). */
export const RBAC_FILTER = "envoy.filters.http.rbac";
/** The jwt_authn filter name: the metadata namespace RBAC reads claims from. */
export const JWT_FILTER = "envoy.filters.http.jwt_authn";
/** The key jwt_authn writes the verified payload under (`payload_in_metadata`). */
export const JWT_PAYLOAD_KEY = "jwt_payload";

/** Where the claims are, for the principals. */
export interface ClaimLocation {
  /** Expected issuer: an `authenticated` principal is "has a verified payload from this issuer". */
  readonly issuer: string;
  /** @default "scope" */
  readonly scopeClaim: string;
  /** @default "roles" */
  readonly rolesClaim: string;
}

/** A gateway path that is not an RPC but needs a policy (session mode's sign-in landing). */
export interface GatewayPathPolicy {
  /** Policy name, e.g. `session/signin`. */
  readonly name: string;
  /** Exact path. */
  readonly path: string;
  readonly rule: AccessRule;
}

/** The `envoy.filters.http.rbac` typed_config for `policy` (plus `extra` gateway paths). */
export function rbacFilterConfig(
  policy: AccessPolicy,
  claims: ClaimLocation,
  extra: readonly GatewayPathPolicy[] = [],
): JsonObject {
  const policies: Record<string, JsonObject> = {};
  for (const p of extra) {
    policies[p.name] = {
      permissions: [{ url_path: { path: { exact: p.path } } }],
      principals: [principal(p.rule, claims)],
    };
  }
  for (const m of policy.methods) {
    if (m.rule === undefined) continue; // no option: no policy, so denied
    policies[`${m.service}/${m.method}`] = {
      permissions: [{ url_path: { path: { exact: m.path } } }],
      principals: [principal(m.rule, claims)],
    };
  }
  return typed("envoy.extensions.filters.http.rbac.v3.RBAC", {
    rules: { action: "ALLOW", policies },
  });
}

/**
 * A route's own RBAC (`RBACPerRoute`): one policy that lets any path of the route through for
 * callers that satisfy `rule`. For gateway routes that are not RPCs (session mode's app files).
 */
export function rbacPerRoute(
  p: Omit<GatewayPathPolicy, "path">,
  claims: ClaimLocation,
): JsonObject {
  return typed("envoy.extensions.filters.http.rbac.v3.RBACPerRoute", {
    rbac: {
      rules: {
        action: "ALLOW",
        policies: {
          [p.name]: { permissions: [{ any: true }], principals: [principal(p.rule, claims)] },
        },
      },
    },
  });
}

function principal(rule: AccessRule, claims: ClaimLocation): JsonObject {
  switch (rule.kind) {
    case "public":
      return { any: true };
    case "authenticated":
      return claimEquals("iss", claims.issuer);
    case "claims": {
      const ids: JsonObject[] = [];
      if (rule.scopes.length > 0)
        ids.push(anyOf(rule.scopes.map((s) => listHas(claims.scopeClaim, s))));
      if (rule.roles.length > 0)
        ids.push(anyOf(rule.roles.map((r) => listHas(claims.rolesClaim, r))));
      // Always pin the issuer too, so a claims rule can never match without a verified token.
      return { and_ids: { ids: [claimEquals("iss", claims.issuer), ...ids] } };
    }
  }
}

function anyOf(ids: JsonObject[]): JsonObject {
  return ids.length === 1 && ids[0] ? ids[0] : { or_ids: { ids } };
}

function metadataPath(claim: string): JsonObject[] {
  return [{ key: JWT_PAYLOAD_KEY }, ...claim.split(".").map((key) => ({ key }))];
}

function claimEquals(claim: string, value: string): JsonObject {
  return sourcedMetadata(claim, { string_match: { exact: value } });
}

/** The claim is a list (scope after normalisation, roles as issued) holding `value`. */
function listHas(claim: string, value: string): JsonObject {
  return sourcedMetadata(claim, { list_match: { one_of: { string_match: { exact: value } } } });
}

/**
 * A principal on the request's dynamic metadata. `Principal.metadata` is
 * deprecated since Envoy 1.35 in favour of `sourced_metadata` (source DYNAMIC,
 * the default), which is what Envoy 1.40 accepts without a deprecation warning.
 */
function sourcedMetadata(claim: string, value: JsonObject): JsonObject {
  return {
    sourced_metadata: {
      metadata_matcher: { filter: JWT_FILTER, path: metadataPath(claim), value },
    },
  };
}
