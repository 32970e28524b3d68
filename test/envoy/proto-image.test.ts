import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadServices } from "../../src/envoy/proto-image/load.js";
import { repoRoot } from "../helpers/buf.js";

/** A buf project whose node_modules/.bin/buf counts its runs, then runs the real buf. */
function project(): { cwd: string; runs: () => number } {
  const cwd = mkdtempSync(join(tmpdir(), "gwo-image-cache-"));
  cpSync(join(repoRoot, "proto"), join(cwd, "proto"), { recursive: true });
  writeFileSync(join(cwd, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
  const bin = join(cwd, "node_modules", ".bin");
  mkdirSync(bin, { recursive: true });
  const count = join(cwd, "runs");
  writeFileSync(
    join(bin, "buf"),
    `#!/bin/sh\necho run >> "${count}"\nexec "${join(repoRoot, "node_modules", ".bin", "buf")}" "$@"\n`,
  );
  chmodSync(join(bin, "buf"), 0o755);
  const runs = () => (existsSync(count) ? readFileSync(count, "utf8").split("\n").length - 1 : 0);
  return { cwd, runs };
}

const methods = (cwd: string, cache?: false) =>
  loadServices(undefined, cache === false ? { cwd, cache } : { cwd }).flatMap((s) =>
    s.methods.map((m) => `${s.typeName}/${m.name}`),
  );

describe("buf build of the current project, cached", () => {
  it("runs buf once while the protos are unchanged, again when one changes", () => {
    const { cwd, runs } = project();
    const first = methods(cwd);
    expect(first).toContain("demo.v1.NotesService/GetNote");
    expect(runs()).toBe(1);
    expect(
      readdirSync(join(cwd, "node_modules", ".cache", "grpc-web-oidc", "images")),
    ).toHaveLength(1);
    expect(methods(cwd)).toEqual(first);
    expect(runs()).toBe(1);

    const notes = join(cwd, "proto", "demo", "v1", "notes.proto");
    writeFileSync(
      notes,
      readFileSync(notes, "utf8").replace(
        "service NotesService {",
        "service NotesService {\n  rpc Ping(WhoAmIRequest) returns (WhoAmIResponse) {}",
      ),
    );
    expect(methods(cwd)).toContain("demo.v1.NotesService/Ping");
    expect(runs()).toBe(2);
    expect(methods(cwd, false)).toContain("demo.v1.NotesService/Ping");
    expect(runs()).toBe(3);
  });

  it("also rebuilds when buf.yaml changes", () => {
    const { cwd, runs } = project();
    methods(cwd);
    writeFileSync(join(cwd, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n# changed\n");
    methods(cwd);
    expect(runs()).toBe(2);
  });
});
