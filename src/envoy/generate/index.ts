export {
  BACKEND_CLUSTER,
  buildBootstrap,
  buildSdsResources,
  JWKS_CLUSTER,
  SDS_SECRETS,
  type SdsSecretName,
} from "./bootstrap.js";
export { runGenerate } from "./cli.js";
export {
  emitYaml,
  type GatewayBundle,
  GENERATED_HEADER,
  type GenerateOptions,
  generateGateway,
} from "./emit.js";
export {
  type FilterContext,
  type FilterSpec,
  HTTP_FILTERS,
  httpFilters,
  JWT_PROVIDER,
} from "./filters.js";
export type { Json, JsonObject } from "./json.js";
export { GatewayConfigError, loadGatewayFile, parseGateway } from "./load.js";
export type * from "./model.js";
export { rbacFilterConfig } from "./rbac.js";
