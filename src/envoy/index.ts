export { type EnvoyBinary, envoyVersion, findEnvoy } from "./find-binary.js";
export * from "./generate/index.js";
export { LINT_RULES, type LintRule } from "./lint/index.js";
export { loadServices, ProtoImageError } from "./proto-image/load.js";
export * from "./validate/index.js";
