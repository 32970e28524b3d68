export { type EnvoyBinary, envoyVersion, findEnvoy } from "./find-binary.js";
export * from "./generate/index.js";
export { LINT_RULES, type LintRule } from "./lint/index.js";
export {
  type Finding,
  formatFinding,
  type ValidateOptions,
  type ValidationResult,
  validateEnvoyConfig,
} from "./validate/index.js";
