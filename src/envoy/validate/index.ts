export {
  type Finding,
  formatFinding,
  type ValidateOptions,
  type ValidationResult,
  validateEnvoyConfig,
} from "./validate.js";
