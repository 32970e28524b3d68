import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { formatFinding, validateEnvoyConfig } from "../../../src/envoy/index.js";

const BUNDLE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "envoy",
  "envoy.yaml",
);

describe("the generated bundle (envoy/envoy.yaml)", () => {
  // The bundle is committed: a missing file is a failure here, never a skip.
  it("passes schema, PGV, cross-reference and lint checks with the demo services", async () => {
    // The bundle names /etc/envoy/... (its deployed paths), so files are not checked here.
    const r = await validateEnvoyConfig(readFileSync(BUNDLE, "utf8"), {
      filename: BUNDLE,
      checkFiles: false,
      services: [NotesService],
    });
    expect(r.findings.map(formatFinding)).toEqual([]);
  });
});
