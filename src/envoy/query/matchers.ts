/**
 * Envoy's matchers evaluated against a request path, so the rules can ask
 * "does this config let /svc/Method through?" the way Envoy would answer.
 */
import type { Decoded, DecodedMessage } from "../schema/decoded.js";
import { get, isMsg, msgs } from "./values.js";

/** Evaluates an Envoy StringMatcher against `s` (unsupported forms do not match). */
export function stringMatches(m: Decoded | undefined, s: string): boolean {
  if (!isMsg(m)) return false;
  const ic = m.ignore_case === true;
  const a = ic ? s.toLowerCase() : s;
  const norm = (x: Decoded | undefined) =>
    typeof x === "string" ? (ic ? x.toLowerCase() : x) : undefined;
  const exact = norm(m.exact);
  if (exact !== undefined) return a === exact;
  const prefix = norm(m.prefix);
  if (prefix !== undefined) return a.startsWith(prefix);
  const suffix = norm(m.suffix);
  if (suffix !== undefined) return a.endsWith(suffix);
  const contains = norm(m.contains);
  if (contains !== undefined) return a.includes(contains);
  return safeRegexMatches(m, s);
}

/** Whether a `safe_regex` (RE2, read as a JS regex) matches all of `s`; false when absent or invalid. */
function safeRegexMatches(m: Decoded | undefined, s: string): boolean {
  const re = get(m, "safe_regex", "regex");
  if (typeof re !== "string") return false;
  try {
    return new RegExp(`^(?:${re})$`, "u").test(s);
  } catch {
    return false;
  }
}

/** Whether a route / jwt_authn RouteMatch matches `path` by its path specifier alone. */
export function routeMatchPath(match: Decoded | undefined, path: string): boolean {
  if (!isMsg(match)) return false;
  const ic = get(match, "case_sensitive") === false;
  const p = ic ? path.toLowerCase() : path;
  const lc = (x: Decoded | undefined) =>
    typeof x === "string" ? (ic ? x.toLowerCase() : x) : undefined;
  const prefix = lc(match.prefix);
  if (prefix !== undefined) return p.startsWith(prefix);
  const exact = lc(match.path);
  if (exact !== undefined) return p === exact;
  const sep = lc(match.path_separated_prefix);
  if (sep !== undefined) return p === sep || p.startsWith(`${sep}/`);
  return safeRegexMatches(match, path);
}

/** A match with header or query constraints may not apply to every request. */
export function isConditional(match: Decoded | undefined): boolean {
  return msgs(get(match, "headers")).length > 0 || msgs(get(match, "query_parameters")).length > 0;
}

/** Evaluates an RBAC Permission against a request path (anything else about the request: no match). */
export function permissionMatches(p: Decoded | undefined, path: string): boolean {
  if (!isMsg(p)) return false;
  if (p.any === true) return true;
  if (isMsg(p.url_path)) return stringMatches(get(p.url_path, "path"), path);
  if (isMsg(p.header) && get(p.header, "name") === ":path") {
    const h = p.header;
    if (isMsg(h.string_match)) return stringMatches(h.string_match, path);
    if (typeof h.exact_match === "string") return h.exact_match === path;
    if (typeof h.prefix_match === "string") return path.startsWith(h.prefix_match);
  }
  const and = msgs(get(p, "and_rules", "rules"));
  if (and.length > 0) return and.every((q) => permissionMatches(q, path));
  const or = msgs(get(p, "or_rules", "rules"));
  if (or.length > 0) return or.some((q) => permissionMatches(q, path));
  if (isMsg(p.not_rule)) return !permissionMatches(p.not_rule, path);
  return false;
}

/** Every Permission inside `p`, itself included (through and/or/not). */
export function flattenPermissions(p: Decoded | undefined): DecodedMessage[] {
  if (!isMsg(p)) return [];
  return [
    p,
    ...msgs(get(p, "and_rules", "rules")).flatMap(flattenPermissions),
    ...msgs(get(p, "or_rules", "rules")).flatMap(flattenPermissions),
    ...flattenPermissions(p.not_rule),
  ];
}
