/**
 * What makes the gateway accept and refuse exactly the tokens the backend kit does
 * (src/server/authn-interceptor.ts + jwt-verifier.ts), with the same gRPC code:
 *
 * - the `authorization` value is exactly `Bearer`, one space, a compact JWS. jwt_authn alone
 *   finds its `Bearer ` prefix anywhere in the value and stops at the first character that
 *   cannot be in a JWT, so it would take `Basic x, Bearer <t>`, `xyzBearer <t>` and `<t>==`;
 * - the header `typ` (`tokenType`) and the required claim values (`requiredClaims`), which
 *   jwt_authn cannot check, are checked on the metadata it writes;
 * - every such refusal, and jwt_authn's audience mismatch (which it answers with 403), leaves
 *   as UNAUTHENTICATED (HTTP 401 → grpc-status 16), as at the backend: a token for another
 *   audience, of another kind, or in a malformed header is not a valid credential here, and
 *   PERMISSION_DENIED stays reserved for a valid caller without the scope or role.
 *
 * Two RBAC filters right after jwt_authn do it. The first only computes: its `shadow_rules`
 * hold the checks, and Envoy writes their verdict to dynamic metadata
 * (`access_token_shadow_engine_result`: allowed | denied) while its enforced rules (a DENY
 * list with no policy) let every request through. The second denies when that verdict is
 * `denied`. The split is needed because an RBAC filter writes its metadata only after it has
 * sent its own 403 (rbac_filter.cc), so a local reply mapper can recognise a token refusal
 * only by metadata that an earlier filter wrote.
 */
import type { AccessPolicy } from "../../access/index.js";
import { tokenLocations } from "./dpop.js";
import { type JsonObject, typed } from "./json.js";
import type { DpopModel, JwtModel } from "./model.js";
import { JWT_FILTER, JWT_PAYLOAD_KEY } from "./rbac.js";

/** The RBAC filter that computes the verdict (shadow rules only). */
export const TOKEN_CHECK_FILTER = "grpc-web-oidc.access-token-check";
/** The RBAC filter that refuses on that verdict. */
export const TOKEN_FILTER = "grpc-web-oidc.access-token";
/** Where jwt_authn writes the verified JOSE header (for `typ`). */
export const JWT_HEADER_KEY = "jwt_header";
/** Where jwt_authn writes why a token failed (any failure, for the local reply mapper). */
export const JWT_FAILURE_KEY = "jwt_failure";
/** The check filter's `shadow_rules_stat_prefix`; its verdict key in the RBAC namespace. */
const TOKEN_STAT_PREFIX = "access_token_";
const VERDICT_KEY = `${TOKEN_STAT_PREFIX}shadow_engine_result`;
const RBAC_NAMESPACE = "envoy.filters.http.rbac";

/**
 * The accepted `authorization` form (RE2) for the schemes jwt_authn takes (`Bearer`, and
 * `DPoP` with dpop): the scheme exactly, one space, a compact JWS; the backend kit uses the
 * same expression.
 */
export function schemeJwsRegex(schemes: readonly string[]): string {
  const alt = schemes.length === 1 ? schemes[0] : `(${schemes.join("|")})`;
  return `^${alt} [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`;
}

/** The check filter: the token rules as shadow rules; enforces nothing itself. */
export function accessTokenCheckConfig(
  policy: AccessPolicy,
  jwt: JwtModel,
  dpop: DpopModel | undefined,
): JsonObject {
  const publicPaths = policy.methods.filter((m) => m.rule?.kind === "public").map((m) => m.path);
  // The same schemes jwt_authn extracts tokens from (dpop.ts), without their trailing space.
  const schemes = tokenLocations(dpop).map((l) => String(l.value_prefix).trim());
  const checks: JsonObject[] = [
    {
      header: {
        name: "authorization",
        string_match: { safe_regex: { regex: schemeJwsRegex(schemes) } },
      },
    },
  ];
  if (jwt.tokenType !== undefined) {
    // Compared as the backend does: case-insensitive, with or without `application/`.
    const typ = jwt.tokenType.toLowerCase().replace(/^application\//, "");
    checks.push({
      or_ids: {
        ids: [typ, `application/${typ}`].map((value) =>
          metadataEquals([JWT_HEADER_KEY, "typ"], value, true),
        ),
      },
    });
  }
  for (const [claim, value] of Object.entries(jwt.requiredClaims)) {
    checks.push(metadataEquals([JWT_PAYLOAD_KEY, ...claim.split(".")], value, false));
  }
  const policies: Record<string, JsonObject> = {
    // Public methods (health) take no token at the backend either; a token on them is ignored.
    ...(publicPaths.length > 0
      ? {
          "public-methods": {
            permissions: [
              {
                or_rules: { rules: publicPaths.map((p) => ({ url_path: { path: { exact: p } } })) },
              },
            ],
            principals: [{ any: true }],
          },
        }
      : {}),
    "access-token": {
      permissions: [{ any: true }],
      principals: [checks.length === 1 ? checks[0]! : { and_ids: { ids: checks } }],
    },
  };
  return typed("envoy.extensions.filters.http.rbac.v3.RBAC", {
    // A DENY list without policies denies nothing: this filter only records the verdict.
    rules: { action: "DENY" },
    shadow_rules: { action: "ALLOW", policies },
    shadow_rules_stat_prefix: TOKEN_STAT_PREFIX,
  });
}

/** The enforcing filter: denies when the check filter's verdict is `denied`. */
export function accessTokenEnforceConfig(): JsonObject {
  return typed("envoy.extensions.filters.http.rbac.v3.RBAC", {
    rules: {
      action: "DENY",
      policies: {
        "not-an-accepted-access-token": {
          permissions: [{ any: true }],
          principals: [
            {
              sourced_metadata: {
                metadata_matcher: {
                  filter: RBAC_NAMESPACE,
                  path: [{ key: VERDICT_KEY }],
                  value: { string_match: { exact: "denied" } },
                },
              },
            },
          ],
        },
      },
    },
  });
}

/**
 * Local replies that are token refusals, for the HCM's `local_reply_config`
 * (local-replies.ts turns them into UNAUTHENTICATED): the access-token filter's denial,
 * recognised by the check filter's verdict, and jwt_authn's 403 for a wrong audience,
 * recognised by its failure metadata (its other failures are 401 already).
 */
export function tokenRefusalFilters(): JsonObject[] {
  return [
    {
      metadata_filter: {
        matcher: {
          filter: RBAC_NAMESPACE,
          path: [{ key: VERDICT_KEY }],
          value: { string_match: { exact: "denied" } },
        },
        // Envoy's default is true: a request without the key would match.
        match_if_key_not_found: false,
      },
    },
    {
      and_filter: {
        filters: [
          {
            status_code_filter: {
              comparison: {
                op: "EQ",
                value: { default_value: 403, runtime_key: "grpc_web_oidc.local_reply.jwt_403" },
              },
            },
          },
          {
            metadata_filter: {
              matcher: {
                filter: JWT_FILTER,
                path: [{ key: JWT_FAILURE_KEY }],
                value: { present_match: true },
              },
              match_if_key_not_found: false,
            },
          },
        ],
      },
    },
  ];
}

function metadataEquals(path: readonly string[], value: string, ignoreCase: boolean): JsonObject {
  return {
    sourced_metadata: {
      metadata_matcher: {
        filter: JWT_FILTER,
        path: path.map((key) => ({ key })),
        value: { string_match: { exact: value, ...(ignoreCase ? { ignore_case: true } : {}) } },
      },
    },
  };
}
