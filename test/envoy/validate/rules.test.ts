import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFinding, LINT_RULES, validateEnvoyConfig } from "../../../src/envoy/index.js";
import { CASES, FIXTURES, GOOD } from "./corpus.js";

describe("the lint rules", () => {
  it("has at least one corpus case per rule", () => {
    const covered = new Set(CASES.map((c) => c.rule));
    expect(LINT_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe("SDS files named by the config", () => {
  it("are validated as DiscoveryResponse resources, with their own file positions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-sds-"));
    try {
      cpSync(FIXTURES, dir, { recursive: true });
      const sds = join(dir, "sds", "server_cert.yaml");
      writeFileSync(sds, readFileSync(sds, "utf8").replace("tls.v3.Secret", "tls.v3.Secrett"));
      const r = await validateEnvoyConfig(GOOD, { filename: join(dir, "good.yaml") });
      expect(r.findings.map(formatFinding)).toEqual([
        expect.stringMatching(/^sds\/server_cert\.yaml:2:14 bad-type-url unresolvable "@type"/),
      ]);
      expect(r.ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
