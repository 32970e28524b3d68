import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { blockYaml } from "../../../src/envoy/generate/block-yaml.js";
import type { Json } from "../../../src/envoy/generate/json.js";
import { repoRoot } from "../../helpers/buf.js";

/** What emitYaml printed before block-yaml.ts, and prints for what it declines. */
const library = (v: Json) =>
  stringify(v, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });

/** Every generated file in the repository: the bundle and the golden outputs. */
function generatedFiles(): string[] {
  const files = [join(repoRoot, "envoy", "envoy.yaml")];
  const sds = join(repoRoot, "envoy", "sds");
  files.push(...readdirSync(sds).map((f) => join(sds, f)));
  const out = join(repoRoot, "test", "envoy", "generate", "testdata", "out");
  for (const c of readdirSync(out)) {
    files.push(join(out, c, "envoy.yaml"));
    files.push(...readdirSync(join(out, c, "sds")).map((f) => join(out, c, "sds", f)));
  }
  return files;
}

/** Strings at the edges of yaml's plain, quoted and block styles. */
const TRICKY = [
  "plain",
  "two words",
  "",
  " lead",
  "trail ",
  "a: b",
  "a:b",
  "a:",
  "a #b",
  "a#b",
  "#a",
  "- a",
  "-a",
  "-",
  "?",
  "? a",
  "@type",
  "%x",
  "`x",
  "!x",
  "&x",
  "*x",
  "|x",
  ">x",
  "'x",
  '"x',
  "[x",
  "x]",
  "{x}",
  "x,y",
  "true",
  "True",
  "TRUE",
  "tRue",
  "false",
  "yes",
  "no",
  "on",
  "null",
  "Null",
  "NULL",
  "~",
  "0",
  "16",
  "-16",
  "+16",
  "007",
  "0o17",
  "0o8",
  "0x1F",
  "0xg",
  "1.5",
  ".5",
  "5.",
  "1e3",
  "1E-3",
  ".inf",
  "-.Inf",
  ".nan",
  ".NAN",
  "1_000",
  "---",
  "--- x",
  "...",
  "x---",
  '%COALESCE({"a":1})%',
  "it's",
  'say "hi"',
  "both ' and \"",
  "back\\slash",
  "tab\there",
  "é",
  "\u0001",
  "x\u007f",
  "%START_TIME%",
  "Bearer ",
  "type.googleapis.com/a.B",
  "line\n",
  "line\nnext\n",
  "line\nnext",
  "line\n\nnext\n",
  "line\n\n",
  "line \n",
  "line\n ",
  " lead\nx\n",
  "\nx\n",
  "\ttab\n",
  "x\n---\n",
  "a: b\nc\n",
  "#x\ny\n",
  "x\r\ny\n",
];

/** Holds blockYaml to the library: the same text, or undefined (then the library prints). */
function agrees(v: Json): boolean {
  const fast = blockYaml(v);
  if (fast !== undefined) expect(fast, JSON.stringify(v)).toBe(library(v));
  return fast !== undefined;
}

describe("block YAML printer (generate's output without the yaml library)", () => {
  it("prints every generated file of the repository exactly as the library does", () => {
    const files = generatedFiles();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const value = parse(readFileSync(f, "utf8")) as Json;
      expect(blockYaml(value), f).toBe(library(value));
    }
  });

  it("agrees with the library or declines, for 91 edge strings in 7 positions each", () => {
    let printed = 0;
    let cases = 0;
    for (const s of TRICKY) {
      for (const v of [
        { k: s },
        { a: { b: s, c: 1 } },
        [s],
        [[s, s]],
        [{ k: s, j: [s] }],
        { [s]: s },
        { list: [{ [s]: { x: s } }, s] },
      ] as Json[]) {
        cases++;
        if (agrees(v)) printed++;
      }
    }
    expect(cases).toBe(TRICKY.length * 7);
    // Most of them are printed without the library: the comparison is not vacuous.
    expect(printed).toBeGreaterThan(cases / 2);
  });

  it("agrees with the library or declines, for 2,000 random documents", () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)] as T;
    const value = (depth: number): Json => {
      const r = rnd(depth > 3 ? 5 : 8);
      if (r === 0) return pick(TRICKY);
      if (r === 1) return pick([0, 7, -3, 443, 1.5, -0, 2 ** 60, true, false, null]);
      if (r === 2) return `${pick(TRICKY)}${pick(TRICKY)}`;
      if (r === 3 || r === 4) return pick(["name", "a b", "x.y", "%A%", "1"]);
      if (r === 5) return Array.from({ length: rnd(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rnd(4) }, () => [pick([...TRICKY, "k", "name"]), value(depth + 1)]),
      );
    };
    let printed = 0;
    for (let i = 0; i < 2000; i++) {
      const v = Object.fromEntries([
        ["root", value(0)],
        [pick(TRICKY), value(1)],
      ]);
      if (agrees(v)) printed++;
    }
    expect(printed).toBeGreaterThan(100);
  });

  it("declines what is outside its subset instead of guessing", () => {
    for (const v of [
      { k: -0 },
      { k: Number.NaN },
      { k: "é" },
      { k: " back\\slash" },
      { k: "'both' and \"" },
      ["multi\nline\n"],
      { k: " lead\nx\n" },
      { k: "x\n\n" },
      "top-level scalar",
    ] as Json[])
      expect(blockYaml(v), JSON.stringify(v)).toBeUndefined();
  });
});
