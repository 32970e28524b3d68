export { type ClaimNames, principalFromClaims } from "./claims.js";
export {
  type AccessPolicy,
  type AccessPolicyOptions,
  buildAccessPolicy,
  HEALTH_PATHS,
  HEALTH_SERVICE,
  type MethodPolicy,
  readMethodAccess,
} from "./policy.js";
export {
  type AccessDecision,
  AccessPolicyError,
  type AccessReason,
  type AccessRule,
  evaluateRule,
  type Principal,
  ruleFromOption,
} from "./rule.js";
