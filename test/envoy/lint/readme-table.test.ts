import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README, renderLintTable, withLintTable } from "../../../scripts/lint-table.js";
import { LINT_RULES } from "../../../src/envoy/index.js";

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the lint rule table in envoy/README.md", () => {
  it("is current with LINT_RULES (run `npm run docs:lint` after adding or changing a rule)", () => {
    const readme = readFileSync(README, "utf8");
    expect(withLintTable(readme)).toBe(readme);
  });

  it("has one row per rule with its id, severity and reason", () => {
    const table = renderLintTable();
    expect(table.split("\n")).toHaveLength(LINT_RULES.length + 2);
    for (const r of LINT_RULES) {
      expect(table).toMatch(
        new RegExp(
          `^\\| ${r.area} +\\| \`${r.id}\` +\\| ${r.severity} +\\| ${escapeRe(r.reason)} +\\|$`,
          "m",
        ),
      );
    }
  });
});
