/**
 * Questions about a decoded Envoy config, shared by the lint (`../lint/`),
 * the validator's cross-reference checks (`../validate/`) and the policy
 * comparison. Reads decoded messages only; never parses YAML or protos.
 */
export {
  edgeConnectionManagers,
  forwardedMethods,
  globalConnectionCap,
  isLoopbackListener,
  isProbe,
  routeCluster,
  routeFor,
} from "./bounds.js";
export type { ConfigQuery } from "./config.js";
export { corsOriginMatchers, corsPolicies, headerList, missingHeaders } from "./cors.js";
export {
  connectionManagers,
  filterChains,
  filterIndex,
  grpcWebManagers,
  httpFilters,
  isGrpcWeb,
  routesOf,
  streamCapableRoutes,
} from "./http.js";
export { jwtFilters, jwtRuleFor, requiresToken, ruleRequires } from "./jwt.js";
export {
  flattenPermissions,
  isConditional,
  permissionMatches,
  routeMatchPath,
  stringMatches,
} from "./matchers.js";
export {
  type PolicyPath,
  policyPaths,
  type RbacGrant,
  rbacAllows,
  rbacFilters,
  rbacGrants,
} from "./rbac.js";
export { isSessionMode, matchesGrpcWebCall, oauth2Configs } from "./session.js";
export {
  clustersByName,
  clusterTls,
  hasSanMatch,
  hasTrustedCa,
  terminatesTls,
  upstreamTls,
} from "./tls.js";
export { FILTER_TYPES, T } from "./type-names.js";
export { anyOf, get, integer, isMsg, msgs, typeOf } from "./values.js";
