export {
  CLAIM_DEFAULTS,
  type ClaimSettings,
  ClaimSettingsError,
  normalizeTokenType,
  type ResolvedClaimSettings,
  resolveClaimSettings,
} from "./claim-settings.js";
export { type ClaimNames, claimList, principalFromClaims, readClaim } from "./claims.js";
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
export { type TrafficClass, trafficClassOf } from "./traffic-class.js";
