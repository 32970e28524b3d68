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
  const scopeValue = readPath(claims, names.scope ?? "scope");
  const rolesValue = readPath(claims, names.roles ?? "roles");
  return {
    subject: typeof claims.sub === "string" ? claims.sub : "",
    scopes: toList(scopeValue, true),
    roles: toList(rolesValue, false),
  };
}

function readPath(obj: Readonly<Record<string, unknown>>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function toList(value: unknown, splitSpaces: boolean): string[] {
  if (typeof value === "string") {
    return splitSpaces ? value.split(" ").filter((s) => s.length > 0) : [value];
  }
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}
