import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { formatFinding, LINT_RULES, validateEnvoyConfig } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

const LINT_DIR = join(repoRoot, "src", "envoy", "lint");
const lintIds = new Set(LINT_RULES.map((r) => r.id));

/** Every rule file: `lint/<area>/<id>.ts`. */
const ruleFiles = readdirSync(LINT_DIR)
  .filter((d) => statSync(join(LINT_DIR, d)).isDirectory())
  .flatMap((area) =>
    readdirSync(join(LINT_DIR, area))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => ({ area, id: f.slice(0, -3), path: join(LINT_DIR, area, f) })),
  );

/** The YAML examples under `### Invalid` and `### Valid` in a rule's doc comment. */
function examples(source: string): { invalid: string[]; valid: string[] } {
  const doc = /\/\*\*([\s\S]*?)\*\/\s*export const/.exec(source)?.[1] ?? "";
  const text = doc
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, ""))
    .join("\n");
  const section = (title: string) => {
    const start = text.indexOf(`### ${title}`);
    if (start < 0) return [];
    const rest = text.slice(start + title.length + 4);
    const end = rest.indexOf("### ");
    const body = end < 0 ? rest : rest.slice(0, end);
    return [...body.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  };
  return { invalid: section("Invalid"), valid: section("Valid") };
}

/** Validates an example with the demo services behind it (the policy rules need them). */
async function findings(yaml: string) {
  const r = await validateEnvoyConfig(yaml, {
    filename: "example.yaml",
    checkFiles: false,
    services: [NotesService],
  });
  return r.findings;
}

describe("the lint rules, one file each", () => {
  it("are all in LINT_RULES, which holds nothing else, in folders named for their area", async () => {
    expect(ruleFiles.map((f) => f.id).sort()).toEqual([...lintIds].sort());
    for (const f of ruleFiles) {
      const mod: Record<string, unknown> = await import(f.path);
      const rules = Object.values(mod).filter((v) => LINT_RULES.includes(v as never));
      expect(rules, f.path).toHaveLength(1);
      expect(rules[0]).toMatchObject({ id: f.id, area: f.area });
    }
  });

  it("have unique, stable-looking ids and a one-line reason each", () => {
    expect(lintIds.size).toBe(LINT_RULES.length);
    for (const r of LINT_RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.reason.length).toBeGreaterThan(20);
      expect(r.reason).not.toContain("\n");
    }
  });
});

describe("the doc-comment examples of every rule", () => {
  for (const f of ruleFiles) {
    describe(f.id, () => {
      const { invalid, valid } = examples(readFileSync(f.path, "utf8"));

      it("has at least one Invalid and one Valid example", () => {
        expect(invalid.length).toBeGreaterThan(0);
        expect(valid.length).toBeGreaterThan(0);
      });

      it("Invalid examples are well-formed configs that this rule reports", async () => {
        for (const yaml of invalid) {
          const fs = await findings(yaml);
          const lines = fs.map(formatFinding).join("\n");
          expect(fs.filter((x) => x.rule === f.id).length, `${yaml}\n${lines}`).toBeGreaterThan(0);
          // Only lint findings: the example is a real config, wrong in the way the rule says.
          expect(
            fs.filter((x) => x.severity === "error" && !lintIds.has(x.rule)).map(formatFinding),
            yaml,
          ).toEqual([]);
        }
      });

      it("Valid examples are well-formed configs that this rule accepts", async () => {
        for (const yaml of valid) {
          const fs = await findings(yaml);
          expect(fs.filter((x) => x.rule === f.id).map(formatFinding), yaml).toEqual([]);
          expect(
            fs.filter((x) => x.severity === "error" && !lintIds.has(x.rule)).map(formatFinding),
            yaml,
          ).toEqual([]);
        }
      });
    });
  }
});
