/** RBAC: which filters there are, and whether a path is allowed. */
import type { Decoded, DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { connectionManagers, httpFilters } from "./http.js";
import { jwtFilters } from "./jwt.js";
import { flattenPermissions, permissionMatches } from "./matchers.js";
import { FILTER_TYPES, T } from "./type-names.js";
import { get, isMsg, msgs } from "./values.js";

/** RBAC filters (not per-route) of every HCM, with the HCM and the filter's typed_config. */
export function rbacFilters(
  q: ConfigQuery,
): { hcm: DecodedMessage; filter: DecodedMessage; config: Decoded | undefined }[] {
  return connectionManagers(q).flatMap(({ hcm }) =>
    httpFilters(hcm)
      .filter((f) => f.type === FILTER_TYPES.rbac)
      .map((f) => ({ hcm, filter: f.filter, config: get(f.filter, "typed_config") })),
  );
}

/**
 * Whether a path is permitted by an ALLOW RBAC config (undefined when the
 * action is not ALLOW). With `anyPrincipal`, only policies open to every
 * caller count.
 */
export function rbacAllows(
  config: Decoded | undefined,
  path: string,
  anyPrincipal = false,
): boolean | undefined {
  const rules = get(config, "rules");
  if (!isMsg(rules)) return undefined;
  if ((rules.action ?? "ALLOW") !== "ALLOW") return undefined;
  const policies = isMsg(rules.policies) ? Object.values(rules.policies) : [];
  return policies.some(
    (p) =>
      msgs(get(p, "permissions")).some((perm) => permissionMatches(perm, path)) &&
      (!anyPrincipal || msgs(get(p, "principals")).some((pr) => pr.any === true)),
  );
}

/** A path named in policy: the decoded node and field that name it, exact or by prefix. */
export interface PolicyPath {
  readonly node: object;
  readonly field: string;
  readonly path: string;
  readonly prefix: boolean;
}

/** Paths named exactly (or by prefix) in RBAC permissions and jwt_authn rules. */
export function* policyPaths(q: ConfigQuery): Generator<PolicyPath> {
  for (const perm of q.all(T.permission)) {
    for (const p of flattenPermissions(perm)) {
      const m = get(p, "url_path", "path");
      if (!isMsg(m)) continue;
      if (typeof m.exact === "string")
        yield { node: m, field: "exact", path: m.exact, prefix: false };
      if (typeof m.prefix === "string" && m.prefix.length > 1)
        yield { node: m, field: "prefix", path: m.prefix, prefix: true };
    }
  }
  for (const jwt of jwtFilters(q)) {
    for (const r of msgs(jwt.rules)) {
      const m = r.match;
      if (!isMsg(m)) continue;
      if (typeof m.path === "string") yield { node: m, field: "path", path: m.path, prefix: false };
      if (typeof m.prefix === "string" && m.prefix.length > 1)
        yield { node: m, field: "prefix", path: m.prefix, prefix: true };
    }
  }
}

/** What an RBAC ALLOW policy grants a path to: anyone, or callers whose token carries claim values. */
export interface RbacGrant {
  /** The policy (an entry of `rules.policies`). */
  readonly policy: DecodedMessage;
  /** A principal is `any: true`: no token needed. */
  readonly public: boolean;
  /** Every value the principals look for in a claim list (`list_match`), e.g. scopes and roles. */
  readonly values: ReadonlySet<string>;
}

/**
 * The ALLOW policies of an RBAC config whose permissions match `path`, each with a summary
 * of its principals; empty when none matches (or the action is not ALLOW).
 */
export function rbacGrants(config: Decoded | undefined, path: string): RbacGrant[] {
  const rules = get(config, "rules");
  if (!isMsg(rules) || (rules.action ?? "ALLOW") !== "ALLOW" || !isMsg(rules.policies)) return [];
  return Object.values(rules.policies)
    .filter(isMsg)
    .filter((p) => msgs(p.permissions).some((perm) => permissionMatches(perm, path)))
    .map((policy) => {
      const principals = msgs(policy.principals);
      const values = new Set<string>();
      const walk = (v: Decoded | undefined): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (isMsg(v)) {
          const exact = get(v, "list_match", "one_of", "string_match", "exact");
          if (typeof exact === "string") values.add(exact);
          for (const child of Object.values(v)) walk(child);
        }
      };
      walk(principals);
      return { policy, public: principals.some((p) => p.any === true), values };
    });
}
