import { describe, expect, it } from "vitest";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { formatFinding, validateEnvoyConfig } from "../../../src/envoy/index.js";
import { CASES, expectedPosition, GOOD, GOOD_FILE, variantText } from "./corpus.js";

const services = [NotesService];
const SCHEMA_RULES =
  /^(yaml-syntax|unknown-field|duplicate-field|schema-type|bad-enum|bad-duration|bad-type-url|oneof-multiple|disallowed-field|pgv-)/;

describe("the known-good fixture", () => {
  it("has no findings, with the proto services or without", async () => {
    for (const opts of [{ services }, {}]) {
      const r = await validateEnvoyConfig(GOOD, { filename: GOOD_FILE, ...opts });
      expect(r.findings.map(formatFinding)).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });
});

describe("the corpus of broken and insecure variants", () => {
  it("covers every kind", () => {
    const kinds = new Set(CASES.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(["lint", "pgv", "schema", "xref"]);
  });

  for (const c of CASES) {
    it(`${c.kind} ${c.name}: reports ${c.rule} at the offending key or value`, async () => {
      const text = variantText(c);
      expect(text).not.toBe(GOOD);
      const r = await validateEnvoyConfig(text, { filename: GOOD_FILE, services });
      const lines = r.findings.map(formatFinding).join("\n");
      const hits = r.findings.filter((f) => f.rule === c.rule);
      expect(hits.length, `no ${c.rule} in:\n${lines}`).toBeGreaterThan(0);
      const want = expectedPosition(c, text);
      expect(want, `find ${JSON.stringify(c.find)} not in the variant`).toBeDefined();
      expect(
        hits.some((h) => h.line === want?.line && h.col === want?.col),
        `want ${c.rule} at ${want?.line}:${want?.col}, got:\n${lines}`,
      ).toBe(true);
      if (c.warning) {
        expect(hits.every((h) => h.severity === "warning")).toBe(true);
        expect(r.ok).toBe(true);
      } else {
        expect(r.ok).toBe(false);
      }
      if (c.kind === "lint" || c.kind === "xref") {
        // Insecure but well-formed: no schema or PGV errors.
        expect(
          r.findings
            .filter((f) => SCHEMA_RULES.test(f.rule) && f.severity === "error")
            .map(formatFinding),
        ).toEqual([]);
      }
    });
  }
});
