export type { LintContext, LintHit } from "./model.js";
export { LINT_RULES, type LintRule } from "./rules.js";
