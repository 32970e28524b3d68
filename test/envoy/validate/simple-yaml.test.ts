import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Document, isCollection, LineCounter, parseDocument, visit } from "yaml";
import type { Path } from "../../../src/envoy/schema/issue.js";
import { envoyYamlToJson } from "../../../src/envoy/validate/envoy-yaml.js";
import { positionOf } from "../../../src/envoy/yaml/positions.js";
import { readSimpleYaml } from "../../../src/envoy/yaml/simple.js";
import {
  CASES,
  GOOD,
  mutateText,
  randomVariant,
  replaceableNodes,
  rng,
  variantText,
} from "./corpus.js";

/**
 * The fast reader (src/envoy/yaml/simple.ts) is only allowed to answer when it answers exactly
 * as the full reader (the yaml library + envoyYamlToJson + positionOf) does: the same JSON, and
 * the same line and column for every key and value. Anything it is unsure of it must decline.
 */

/** Bounded by count; the limit only catches a hang on a busy 2-core machine. */
const SLOW_MACHINE = { timeout: 300_000 };

const root = join(import.meta.dirname, "..", "..", "..");

/** The full reader's answer, or "declined" when it reports any error or duplicate key. */
function full(text: string) {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    schema: "failsafe",
  });
  if (doc.errors.length > 0) return undefined;
  let json: unknown;
  try {
    json = envoyYamlToJson(doc);
  } catch {
    return undefined;
  }
  return { json, position: (p: Path, at: "key" | "value") => positionOf(doc, lines, p, at) };
}

/** Every path of a JSON tree (keys and list indices), and one that goes past a leaf. */
function paths(json: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(json))
    for (const [i, v] of json.entries()) out.push(...paths(v, [...prefix, i]));
  else if (json !== null && typeof json === "object")
    for (const [k, v] of Object.entries(json)) out.push(...paths(v, [...prefix, k]));
  else out.push([...prefix, "not_there"], [...prefix, 0]);
  return out;
}

/** Checks one text; returns whether the fast reader read it (rather than declining). */
function agrees(text: string, label: string): boolean {
  const fast = readSimpleYaml(text);
  if (!fast) return false;
  const slow = full(text);
  expect(slow, `${label}: the fast reader read a text the full reader rejects`).toBeDefined();
  if (!slow) return true;
  expect(fast.json, label).toEqual(slow.json);
  for (const p of paths(slow.json))
    for (const at of ["key", "value"] as const)
      expect(fast.position(p, at), `${label} ${at} of ${JSON.stringify(p)}`).toEqual(
        slow.position(p, at),
      );
  return true;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return e.endsWith(".yaml") ? [p] : [];
  });
}

/**
 * The text of `doc` with every collection in block style. The good fixture writes a few
 * one-line flow collections (`domains: ["*"]`), which the fast reader declines; in block
 * style the whole corpus exercises it.
 */
function blockStyle(doc: Document): string {
  visit(doc, (_key, node) => {
    if (isCollection(node) && node.items.length > 0) node.flow = false;
  });
  return doc.toString({ lineWidth: 0 });
}

const BLOCK_GOOD = blockStyle(parseDocument(GOOD));

/** Replaces a random node of the good fixture with a random value, 1-3 times. */
function treeVariant(seed: number): string {
  const r = rng(seed * 7919);
  const doc = parseDocument(BLOCK_GOOD);
  const nodes = replaceableNodes(doc);
  const values = [null, true, "", "a b", "x: y", "#", "- a", "|", "é", [], {}, ["a", { b: 1 }]];
  for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
    const pick = nodes[Math.floor(r() * nodes.length)];
    if (pick) pick.parent.set(pick.key, doc.createNode(values[Math.floor(r() * values.length)]));
  }
  return blockStyle(doc);
}

describe("the fast YAML reader answers exactly as the full reader, or declines", () => {
  it("reads every generated bundle identically (what envoy generate writes)", SLOW_MACHINE, () => {
    const files = [
      join(root, "envoy", "envoy.yaml"),
      ...yamlFiles(join(root, "envoy", "sds")),
      ...yamlFiles(join(root, "envoy", "session")).filter((f) => !f.endsWith("gateway.yaml")),
      ...yamlFiles(join(root, "test", "envoy", "generate", "testdata", "out")),
    ];
    expect(files.length).toBeGreaterThan(40);
    for (const f of files)
      expect(agrees(readFileSync(f, "utf8"), f), `${f} was declined`).toBe(true);
  });

  it(
    "agrees on, or declines, the hand-written YAML of the repository (fixtures, k8s, gateway)",
    SLOW_MACHINE,
    () => {
      const files = [
        ...yamlFiles(join(root, "envoy")),
        ...yamlFiles(join(root, "test", "envoy")),
        ...yamlFiles(join(root, "demo")),
      ];
      for (const f of files) agrees(readFileSync(f, "utf8"), f);
      expect(agrees(BLOCK_GOOD, "the good fixture in block style")).toBe(true);
    },
  );

  it("agrees on every corpus case", SLOW_MACHINE, () => {
    let read = 0;
    for (const c of CASES) {
      agrees(variantText(c), c.name);
      if (c.text) continue;
      const doc = parseDocument(BLOCK_GOOD);
      c.mutate?.(doc);
      if (agrees(blockStyle(doc), `${c.name} (block style)`)) read++;
    }
    expect(read).toBeGreaterThan(CASES.filter((c) => !c.text).length / 2);
  });

  it("agrees on 100 random-value variants and 100 block-style tree mutations", SLOW_MACHINE, () => {
    let read = 0;
    for (let seed = 1; seed <= 100; seed++) {
      agrees(randomVariant(seed), `random variant ${seed}`);
      if (agrees(treeVariant(seed), `tree mutation ${seed}`)) read++;
    }
    expect(read).toBeGreaterThan(50);
  });

  it("agrees on 300 text mutations (junk, cuts, swapped and repeated lines)", SLOW_MACHINE, () => {
    let read = 0;
    for (let seed = 1; seed <= 300; seed++) {
      agrees(mutateText(GOOD, rng(seed)), `text ${seed}`);
      if (agrees(mutateText(BLOCK_GOOD, rng(seed)), `block-style text ${seed}`)) read++;
    }
    // Most edits break the YAML (declined); some leave it readable, and those must agree.
    expect(read).toBeGreaterThan(10);
  });

  it("agrees on, or declines, the YAML corners Envoy configs rarely use", SLOW_MACHINE, () => {
    const corners = [
      "a: b # comment\nc: 'it''s'\nd: \"\\x41\\u00e9\\n\"\n",
      "a:\n- 1\n- -2\n- 0x1F\n- 017\n- 99999999999\n- 1e3\n- .inf\n- ~\n- yes\n- Off\n",
      "a: http://x:80/y\nb: a:b\nc: -a\nd: ?x\ne: 'x' # c\n",
      "a:\n  b: |\n    line 1\n\n    line 2\n  c: |-\n    x\n  d: 1\n",
      "a: |+\n  x\n\nb: 1\n",
      "a: >\n  folded\n  text\nb: 1\n",
      "a: |2\n   x\nb: 1\n",
      "a: plain\n  continued\n",
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "? a\n: b\n",
      "a: [1, 2]\nb: {c: d}\nc: []\nd: {}\n",
      "a: 1\na: 2\n",
      "__proto__: 1\n",
      "a:\n  - b: 1\n    c:\n      - d\n  - e\n",
      "a:\n  -\n    b: 1\n  - # comment\n    c: 2\n",
      "- a\n- b\n",
      "42\n",
      "",
      "# only a comment\n",
      "---\na: 1\n",
      "a: 1\n...\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\r\nb: 2\r\n",
      "a:\tb\n",
      'a: "unterminated\n',
      "a: 'multi\n  line'\n",
      "a:\n b: 1\n  c: 2\n",
      "a:   \nb:\n",
      "a:\nb: 1\n",
      "a: # comment\nb: 1\n",
      "\"quoted key\": 1\n'single': 2\n",
      "a : 1\n",
      "a: b: c\n",
      "a: 1 #x\nb: x#y\n",
      "@type: x\n",
      "a: `x`\n",
      "a:\n- - x\n",
      "a: |\n  no final newline",
      "a:\n  b: 1\n c: 2\n",
      "\ufeffa: 1\n",
      "a: 1\n--- \nb: 2\n",
      "a: 1\n...x\nb: 2\n",
      "a: |\n  x\n  --- y\n  ...\nb: 1\n",
      "a: x---\nb: ...\n",
      "a:\n- -x\n- :y\n- ?z\n- -\n",
      "a: 'x'   \nb: \"y\"  # c\nc: []  \nd: {} #\n",
      "a:b: c\nd:e:f: g\n",
      "a:\n  - b\n  -c\n",
      "a:\n  b: 1\n-\n",
    ];
    let read = 0;
    for (const text of corners) if (agrees(text, JSON.stringify(text))) read++;
    // The common forms are read (comments, quotes, integers, literal blocks, nested lists).
    expect(read).toBeGreaterThanOrEqual(5);
  });
});
