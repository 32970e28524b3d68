import { CASES } from "../test/envoy/validate/corpus.js";
import { LINT_RULES } from "../src/envoy/lint/rules.js";
const by: Record<string, number> = {};
for (const c of CASES) by[c.kind] = (by[c.kind] ?? 0) + 1;
console.log(CASES.length, by);
for (const r of LINT_RULES) console.log(`${r.id}: ${r.reason}`);
