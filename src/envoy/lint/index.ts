export type { LintArea, LintContext, LintHit, LintRule } from "./rule.js";
export { LINT_RULES } from "./rules.js";
