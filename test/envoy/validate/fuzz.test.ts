import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { validateEnvoyConfig } from "../../../src/envoy/index.js";
import { GOOD, GOOD_FILE, mutateText, replaceableNodes, rng } from "./corpus.js";

/**
 * Each case is bounded by count (150 mutations); 4–5 s on an idle machine, but over 30 s on a
 * busy 2-core CI machine: the limit only catches a hang.
 */
const SLOW_MACHINE_MS = 300_000;

const VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  4294967296,
  1.5,
  "",
  "x",
  "0s",
  "-1s",
  "NaN",
  [],
  {},
  [1, "a"],
  { "@type": "type.googleapis.com/nope.Nope" },
  { "@type": 7 },
  { a: { b: [null] } },
];

/** Replaces a random node of the parsed fixture with a random value. */
function mutateTree(r: () => number): string {
  const doc = parseDocument(GOOD);
  const nodes = replaceableNodes(doc);
  const count = 1 + Math.floor(r() * 3);
  for (let i = 0; i < count; i++) {
    const pick = nodes[Math.floor(r() * nodes.length)];
    if (!pick) continue;
    const v = VALUES[Math.floor(r() * VALUES.length)];
    if (r() < 0.2) pick.parent.delete(pick.key);
    else pick.parent.set(pick.key, doc.createNode(v));
  }
  return doc.toString();
}

describe("fuzzed configs never crash the validator", () => {
  it("returns findings or ok for 150 text mutations of the good fixture", {
    timeout: SLOW_MACHINE_MS,
  }, async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const text = mutateText(GOOD, rng(seed));
      const r = await validateEnvoyConfig(text, { filename: GOOD_FILE }).catch((e: unknown) => {
        throw new Error(`seed ${seed} threw: ${String(e)}`);
      });
      expect(Array.isArray(r.findings)).toBe(true);
      for (const f of r.findings) {
        expect(f.line, `seed ${seed}`).toBeGreaterThanOrEqual(1);
        expect(f.col, `seed ${seed}`).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it("returns findings or ok for 150 structural mutations (random values at random keys)", {
    timeout: SLOW_MACHINE_MS,
  }, async () => {
    let rejected = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const text = mutateTree(rng(seed * 7919));
      const r = await validateEnvoyConfig(text, { filename: GOOD_FILE }).catch((e: unknown) => {
        throw new Error(`seed ${seed} threw: ${String(e)}`);
      });
      if (!r.ok) rejected++;
    }
    // Random values at random places are nearly always wrong: the validator must notice.
    expect(rejected).toBeGreaterThan(100);
  });

  it("handles degenerate documents", async () => {
    for (const text of [
      "",
      "---",
      "null",
      "[]",
      "42",
      "a: *b",
      "&a [*a]",
      "x:\n  - &a {b: *a}",
      "\u0000",
      "{".repeat(500),
    ]) {
      const r = await validateEnvoyConfig(text);
      expect(r.ok, JSON.stringify(text)).toBe(false);
    }
  });
});
