import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/buf.js";

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

// Generated code is committed (so the package and the demo build without buf);
// this pins that it is current with proto/.
describe("committed generated code", () => {
  it("is exactly what `npm run generate` produces from proto/", () => {
    const work = mkdtempSync(join(tmpdir(), "gwo-gen-"));
    for (const f of ["buf.yaml", "buf.gen.yaml", "buf.gen.demo.yaml"]) {
      cpSync(join(repoRoot, f), join(work, f));
    }
    for (const dir of ["proto", "third_party"]) {
      cpSync(join(repoRoot, dir), join(work, dir), { recursive: true });
    }
    const buf = join(repoRoot, "node_modules/.bin/buf");
    const env = {
      ...process.env,
      PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}`,
    };
    execFileSync(buf, ["generate"], { cwd: work, env });
    execFileSync(buf, ["generate", "--template", "buf.gen.demo.yaml"], { cwd: work, env });
    for (const dir of ["src/gen", "demo/gen"]) {
      const fresh = listFiles(join(work, dir))
        .map((f) => relative(work, f))
        .sort();
      const committed = listFiles(join(repoRoot, dir))
        .map((f) => relative(repoRoot, f))
        .sort();
      expect(committed).toEqual(fresh);
      for (const f of fresh) {
        expect(readFileSync(join(repoRoot, f), "utf8"), f).toBe(
          readFileSync(join(work, f), "utf8"),
        );
      }
    }
  });

  it("passes buf lint", () => {
    execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["lint"], { cwd: repoRoot });
  });
});
