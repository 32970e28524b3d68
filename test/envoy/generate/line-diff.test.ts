import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../../src/envoy/generate/line-diff.js";
import { rng } from "../validate/corpus.js";

/** Applies a unified diff to `from` (hunks in order), as `patch` would. */
function apply(from: string, diff: string): string {
  const a = from.split("\n");
  if (a.at(-1) === "") a.pop();
  const out: string[] = [];
  let next = 0;
  const hunks = diff.split("\n").slice(2);
  for (let k = 0; k < hunks.length; k++) {
    const m = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(hunks[k] ?? "");
    if (!m) continue;
    const start = Number(m[2]) === 0 ? Number(m[1]) : Number(m[1]) - 1;
    out.push(...a.slice(next, start));
    next = start;
    for (k++; k < hunks.length && !/^@@/.test(hunks[k] ?? "") && hunks[k] !== ""; k++) {
      const line = hunks[k] as string;
      if (line[0] === " " || line[0] === "-") {
        expect(a[next], `context/removal at ${next + 1}`).toBe(line.slice(1));
        next++;
      }
      if (line[0] === " " || line[0] === "+") out.push(line.slice(1));
    }
    k--;
  }
  out.push(...a.slice(next));
  return out.length ? `${out.join("\n")}\n` : "";
}

describe("unifiedDiff", () => {
  it("prints diff -u hunks with three lines of context, removals before additions", () => {
    const from = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const to = "a\nb\nc\nd\nE\nf\ng\nh\n";
    expect(unifiedDiff(from, to, "old", "new")).toBe(
      "--- old\n+++ new\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n",
    );
    expect(unifiedDiff(from, from, "old", "new")).toBe("");
  });

  it("turns the old text into the new one, for 300 seeded random edits of a 60-line file", () => {
    const base = Array.from({ length: 60 }, (_, i) => `line ${i % 7} ${i}`);
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const next = [...base];
      for (let e = Math.floor(r() * 6); e >= 0; e--) {
        const at = Math.floor(r() * next.length);
        const op = r();
        if (op < 0.33) next.splice(at, 1);
        else if (op < 0.66) next.splice(at, 0, `new ${seed} ${e}`);
        else next[at] = `changed ${seed} ${e}`;
      }
      const from = `${base.join("\n")}\n`;
      const to = next.length ? `${next.join("\n")}\n` : "";
      const diff = unifiedDiff(from, to, "a", "b");
      expect(apply(from, diff), `seed ${seed}\n${diff}`).toBe(to);
    }
  });
});
