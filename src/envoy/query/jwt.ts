/** jwt_authn: which rule applies to a path, and whether it demands a verified token. */
import type { Decoded, DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { isConditional, routeMatchPath } from "./matchers.js";
import { T } from "./type-names.js";
import { get, isMsg, msgs } from "./values.js";

/** Every jwt_authn filter config. */
export function jwtFilters(q: ConfigQuery): readonly DecodedMessage[] {
  return q.all(T.jwt);
}

/** Whether a jwt_authn requirement demands a verified token (no allow_missing anywhere). */
export function requiresToken(req: Decoded | undefined): boolean {
  if (!isMsg(req)) return false;
  if (typeof req.provider_name === "string") return true;
  if (isMsg(req.provider_and_audiences)) return true;
  if (isMsg(req.allow_missing) || isMsg(req.allow_missing_or_failed)) return false;
  const anyOf = msgs(get(req, "requires_any", "requirements"));
  if (anyOf.length > 0) return anyOf.every(requiresToken);
  const allOf = msgs(get(req, "requires_all", "requirements"));
  if (allOf.length > 0) return allOf.some(requiresToken);
  return false;
}

/** The first jwt_authn rule that applies to `path` unconditionally (Envoy uses the first match). */
export function jwtRuleFor(jwt: DecodedMessage, path: string): DecodedMessage | undefined {
  return msgs(jwt.rules).find((r) => routeMatchPath(r.match, path) && !isConditional(r.match));
}

/** Whether a jwt_authn rule verifies tokens (inline `requires` or a named requirement). */
export function ruleRequires(jwt: DecodedMessage, rule: DecodedMessage | undefined): boolean {
  if (!rule) return false;
  if (typeof rule.requirement_name === "string") {
    return requiresToken(get(jwt, "requirement_map", rule.requirement_name));
  }
  return requiresToken(rule.requires);
}
