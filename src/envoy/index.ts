/**
 * `grpc-web-oidc/envoy`: generate, validate and lint Envoy configs for a gRPC-Web gateway.
 * Node only. The `grpc-web-oidc envoy …` command is built on these; README ("Envoy
 * gateway") and envoy/README.md document them.
 */

export { AccessPolicyError } from "../access/rule.js";
// Errors: test `err.code` (works across copies of the package), or the classes.
export {
  type EnvoyErrorCode,
  EnvoyToolError,
  GatewayConfigError,
  isEnvoyError,
  ProtoImageError,
} from "./errors.js";
// The Envoy binary: found by ENVOY_BIN, then PATH, then the project's `npm run setup:envoy`.
export { type EnvoyBinary, envoyVersion, findEnvoy } from "./find-binary.js";
// Generate the bundle from a gateway file (or a model built in code) and the proto services.
export {
  type GatewayBundle,
  GENERATED_HEADER,
  type GenerateOptions,
  generateGateway,
} from "./generate/emit.js";
export { loadGatewayFile, parseGateway } from "./generate/load.js";
export type {
  AdminModel,
  CertificateFiles,
  CorsModel,
  DpopModel,
  GatewayModel,
  JwtModel,
  LimitsModel,
  ListenerModel,
  ProbeModel,
  RateLimitModel,
  SdsModel,
  UpstreamModel,
} from "./generate/model.js";
export type { LintArea, LintRule } from "./lint/rule.js";
export { LINT_RULES } from "./lint/rules.js";
export { loadServices } from "./proto-image/load.js";
export type { Severity } from "./schema/issue.js";
// Validate any Envoy v3 bootstrap: schema, PGV, cross-references and the security lint.
export {
  type Finding,
  formatFinding,
  type ValidateOptions,
  type ValidationResult,
  validateEnvoyConfig,
} from "./validate/validate.js";

// ---------------------------------------------------------------------------------------
// The end-user API stops here. What follows is for tools built on this package (the CLI,
// documentation generators); it may change in a minor version.
// ---------------------------------------------------------------------------------------

export { runEnvoyCli } from "./cli.js";
export { type FilterSpec, HTTP_FILTERS } from "./generate/filters.js";
