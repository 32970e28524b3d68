import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/buf.js";
import { folderGraph, importCycles, importGraph, tsFiles } from "../helpers/import-graph.js";

describe("imports in src/", () => {
  it("run one way: no file reaches itself through its imports (type and dynamic imports included)", () => {
    const graph = importGraph(repoRoot, tsFiles(join(repoRoot, "src")));
    expect(graph.size).toBeGreaterThan(50);
    expect(importCycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("keep the browser rooms (web, common, access, gen) apart from the Node rooms", () => {
    const browser = ["src/web/", "src/common/", "src/access/", "src/gen/"];
    const graph = importGraph(repoRoot, tsFiles(join(repoRoot, "src")));
    const crossings = [...graph]
      .filter(([file]) => browser.some((r) => file.startsWith(r)))
      .flatMap(([file, targets]) =>
        targets.filter((t) => !browser.some((r) => t.startsWith(r))).map((t) => `${file} → ${t}`),
      );
    expect(crossings).toEqual([]);
  });

  it("run one way between rooms: no folder reaches itself through the folders its files import", () => {
    const graph = folderGraph(importGraph(repoRoot, tsFiles(join(repoRoot, "src"))));
    expect(graph.has("src/envoy/generate")).toBe(true);
    expect(importCycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("the cycle finder reports a two-file and a longer cycle, and nothing for a chain", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["a.ts", "c.ts"]],
      ["c.ts", ["d.ts"]],
      ["d.ts", ["e.ts"]],
      ["e.ts", ["c.ts"]],
      ["f.ts", ["a.ts"]],
    ]);
    expect(
      importCycles(graph)
        .map((c) => c.join(" → "))
        .sort(),
    ).toEqual(["a.ts → b.ts → a.ts", "c.ts → d.ts → e.ts → c.ts"]);
    expect(
      importCycles(
        new Map([
          ["x.ts", ["y.ts"]],
          ["y.ts", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("the folder graph keeps sibling and child-to-parent edges and drops parent-to-child ones", () => {
    const files = new Map([
      ["e/index.ts", ["e/g/a.ts"]],
      ["e/g/a.ts", ["e/v/b.ts", "e/errors.ts"]],
      ["e/v/b.ts", ["e/g/c.ts"]],
      ["e/g/c.ts", []],
      ["e/errors.ts", []],
    ]);
    const folders = folderGraph(files);
    expect(Object.fromEntries(folders)).toEqual({ e: [], "e/g": ["e", "e/v"], "e/v": ["e/g"] });
    expect(importCycles(folders).map((c) => c.join(" → "))).toEqual(["e/g → e/v → e/g"]);
  });
});
