import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policyFromOutlines } from "../../src/access/outline.js";
import { buildAccessPolicy, outlineService } from "../../src/access/policy.js";
import { imageKey } from "../../src/envoy/proto-image/cache.js";
import { loadServices } from "../../src/envoy/proto-image/load.js";
import { loadServiceOutlines } from "../../src/envoy/proto-image/outline.js";
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
      readdirSync(join(cwd, "node_modules", ".cache", "grpc-web-oidc", "images")).filter((f) =>
        f.endsWith(".binpb"),
      ),
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

  it("rebuilds after a same-size edit with the old modification time put back (the change time differs)", () => {
    const { cwd, runs } = project();
    const notes = join(cwd, "proto", "demo", "v1", "notes.proto");
    const fixed = 1_700_000_000; // a whole second: set exactly, before and after the edit
    utimesSync(notes, fixed, fixed);
    const first = methods(cwd);
    const before = statSync(notes, { bigint: true });
    const text = readFileSync(notes, "utf8");
    const renamed = text.replace("rpc GetNote(", "rpc GetNoto(");
    expect(renamed.length).toBe(text.length);
    writeFileSync(notes, renamed);
    utimesSync(notes, fixed, fixed);
    const after = statSync(notes, { bigint: true });
    expect([after.mtimeNs, after.size]).toEqual([before.mtimeNs, before.size]);
    expect(methods(cwd)).toEqual(
      first.map((m) => m.replace("NotesService/GetNote", "NotesService/GetNoto")),
    );
    expect(runs()).toBe(2);
  });

  it("keeps the image when only the stats change, and survives a damaged stamps file", () => {
    const { cwd, runs } = project();
    const first = methods(cwd);
    const notes = join(cwd, "proto", "demo", "v1", "notes.proto");
    writeFileSync(notes, readFileSync(notes)); // same bytes, new times
    expect(methods(cwd)).toEqual(first);
    const stamps = join(cwd, "node_modules", ".cache", "grpc-web-oidc", "images", "stamps.json");
    writeFileSync(stamps, '{"stamps": 1');
    expect(methods(cwd)).toEqual(first);
    expect(runs()).toBe(1);
  });

  it("also rebuilds when buf.yaml changes", () => {
    const { cwd, runs } = project();
    methods(cwd);
    writeFileSync(join(cwd, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n# changed\n");
    methods(cwd);
    expect(runs()).toBe(2);
  });
});

describe("service outlines (what the CLI reads instead of decoding the image every run)", () => {
  const outlineDir = (cwd: string) =>
    join(cwd, "node_modules", ".cache", "grpc-web-oidc", "outlines");

  it("equal the outlines of the decoded services, from the first run and from the cache", async () => {
    const { cwd } = project();
    const decoded = loadServices(undefined, { cwd }).map(outlineService);
    expect(decoded.map((s) => s.typeName)).toContain("demo.v1.NotesService");
    const first = await loadServiceOutlines(undefined, { cwd });
    expect(readdirSync(outlineDir(cwd))).toHaveLength(1);
    expect(first).toEqual(decoded);
    const again = await loadServiceOutlines(undefined, { cwd });
    expect(again).toEqual(decoded);
    // The same policy either way.
    const paths = (p: ReturnType<typeof policyFromOutlines>) =>
      p.methods.map((m) => [m.path, m.kind, m.rule]);
    expect(paths(policyFromOutlines(again))).toEqual(
      paths(buildAccessPolicy(loadServices(undefined, { cwd }))),
    );
  });

  it("are keyed by buf's inputs: a changed access option gives a new outline", async () => {
    const { cwd } = project();
    await loadServiceOutlines(undefined, { cwd });
    const notes = join(cwd, "proto", "demo", "v1", "notes.proto");
    const text = readFileSync(notes, "utf8");
    expect(text).toContain('scopes: ["notes.read"]');
    writeFileSync(notes, text.replaceAll('scopes: ["notes.read"]', 'scopes: ["notes.peek"]'));
    const changed = await loadServiceOutlines(undefined, { cwd });
    const getNote = changed
      .find((s) => s.typeName === "demo.v1.NotesService")
      ?.methods.find((m) => m.name === "GetNote");
    expect(getNote?.access?.scopes).toEqual(["notes.peek"]);
    expect(readdirSync(outlineDir(cwd))).toHaveLength(2);
  });

  it("read a damaged cache entry as a miss, and never cache a failed image", async () => {
    const { cwd } = project();
    const good = await loadServiceOutlines(undefined, { cwd });
    const [entry] = readdirSync(outlineDir(cwd));
    writeFileSync(join(outlineDir(cwd), entry as string), '[{"typeName": 1}]');
    expect(await loadServiceOutlines(undefined, { cwd })).toEqual(good);
    const junk = join(cwd, "junk.binpb");
    writeFileSync(junk, "not a descriptor set");
    await expect(loadServiceOutlines(junk, { cwd })).rejects.toThrow(/not a descriptor set/);
    expect(readdirSync(outlineDir(cwd))).toHaveLength(1);
  });
});

describe("the image cache key", () => {
  // One buf binary for every folder: its path, size and time are part of the key.
  const bin = join(mkdtempSync(join(tmpdir(), "gwo-key-bin-")), "buf");
  writeFileSync(bin, "");
  /** The key after writing `files` (path -> text) into a fresh folder with `bufYaml`. */
  const keyAfter = (bufYaml: string, edit: Record<string, string>) => {
    const cwd = mkdtempSync(join(tmpdir(), "gwo-key-"));
    const base: Record<string, string> = {
      "proto/a.proto": 'syntax = "proto3";',
      "other/b.proto": 'syntax = "proto3";',
    };
    for (const [path, text] of Object.entries({ ...base, ...edit })) {
      mkdirSync(join(cwd, path, ".."), { recursive: true });
      writeFileSync(join(cwd, path), text);
    }
    writeFileSync(join(cwd, "buf.yaml"), bufYaml);
    return imageKey(cwd, bin);
  };
  const changed = { "other/b.proto": 'syntax = "proto3"; // edited' };
  const moduleChanged = { "proto/a.proto": 'syntax = "proto3"; // edited' };

  it("hashes the buf.yaml's module folders: an edit outside them keeps the key, inside changes it", () => {
    const yaml = "version: v2\nmodules:\n  - path: proto # ours\n";
    expect(keyAfter(yaml, changed)).toBe(keyAfter(yaml, {}));
    expect(keyAfter(yaml, moduleChanged)).not.toBe(keyAfter(yaml, {}));
  });

  it("hashes the whole folder when the buf.yaml is beyond the fast reader or a path is not text", () => {
    for (const yaml of [
      "version: v2\nmodules: [{path: proto}]\n",
      "version: v2\nmodules:\n  - path: proto\n  - path: 2024\n",
    ])
      expect(keyAfter(yaml, changed), yaml).not.toBe(keyAfter(yaml, {}));
  });
});
