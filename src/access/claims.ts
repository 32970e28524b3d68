import type { Principal } from "./rule.js";

/** Where scopes and roles live in an access token's claims. */
export interface ClaimNames {
  /**
   * Claim holding the granted scopes: a space-delimited string (RFC 8693 `scope`)
   * or an array (`scp`, as some IdPs emit).
   * @default "scope"
   */
  scope?: string;
  /**
   * Claim holding the roles: an array of strings (a single string is one role).
   * Dotted paths reach into objects, e.g. `realm_access.roles` for Keycloak.
   * @default "roles"
   */
  roles?: string;
}

/** Builds a Principal from verified JWT claims; unknown shapes yield no scopes/roles. */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  names: ClaimNames = {},
): Principal {
  return {
    subject: typeof claims.sub === "string" ? claims.sub : "",
    scopes: claimList(readClaim(claims, names.scope ?? "scope"), true) ?? [],
    roles: claimList(readClaim(claims, names.roles ?? "roles"), false) ?? [],
  };
}

/**
 * Reads a claim by name or dotted path: `realm_access.roles` is `claims.realm_access.roles`.
 * Every dot separates a step, exactly as the generated gateway reads the verified payload
 * (an Envoy metadata path), so the SDK (`SessionInfo.roles`), the backend kit and the gateway
 * find the same value; a claim whose own name has a dot cannot be addressed.
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let cur: unknown = claims;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    if (!Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * A claim value as a list of strings: an array keeps its strings, a string is split on
 * spaces when `splitSpaces` (scopes) or taken whole (one role). Anything else: undefined.
 */
export function claimList(value: unknown, splitSpaces: boolean): string[] | undefined {
  if (typeof value === "string") {
    return splitSpaces ? value.split(" ").filter((s) => s.length > 0) : [value];
  }
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return undefined;
}
