/**
 * What a method needs, in words, from the access options in the proto (the same policy the
 * gateway and the backend enforce: src/access). The servers answer a denial with a generic
 * "permission denied" on purpose; the app, which ships the descriptors, can say which scope or
 * role was missing.
 */
import type { AccessRule } from "../../../src/access/index.js";

/** "scope notes.write", "role admin", "scope notes.read and role admin", "any signed-in user"… */
export function requirementText(rule: AccessRule | undefined): string {
  if (!rule) return "nobody (the method has no access option: denied by default)";
  if (rule.kind === "public") return "nothing (public)";
  if (rule.kind === "authenticated") return "any signed-in user";
  const anyOf = (what: string, values: readonly string[]) =>
    values.length === 1 ? `${what} ${values[0]}` : `one of the ${what}s ${values.join(", ")}`;
  const parts: string[] = [];
  if (rule.scopes.length > 0) parts.push(anyOf("scope", rule.scopes));
  if (rule.roles.length > 0) parts.push(anyOf("role", rule.roles));
  return parts.join(" and ");
}

/** What the caller lacks for `rule`, e.g. "you have roles: none". Empty when nothing is missing. */
export function missingText(
  rule: AccessRule | undefined,
  session: { readonly scopes: readonly string[]; readonly roles: readonly string[] } | undefined,
): string {
  if (rule?.kind !== "claims" || !session) return "";
  const list = (values: readonly string[]) => (values.length ? values.join(" ") : "none");
  const out: string[] = [];
  if (rule.scopes.length > 0 && !rule.scopes.some((s) => session.scopes.includes(s)))
    out.push(`your scopes: ${list(session.scopes)}`);
  if (rule.roles.length > 0 && !rule.roles.some((r) => session.roles.includes(r)))
    out.push(`your roles: ${list(session.roles)}`);
  return out.join("; ");
}
