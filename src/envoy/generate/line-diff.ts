/**
 * A unified diff of two texts by lines (the `diff -u` format), so `envoy generate --check`
 * can say what differs instead of only that something does. Longest common subsequence
 * over lines: the generated files are a few hundred lines, well within its quadratic cost;
 * larger inputs fall back to a plain "differs" hunk rather than spend the memory.
 */

const MAX_CELLS = 4_000_000;

type Op = { kind: " " | "-" | "+"; line: string };

function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  return out;
}

function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], stored row by row.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[at(i, j)] =
        a[i] === b[j]
          ? (lcs[at(i + 1, j + 1)] ?? 0) + 1
          : Math.max(lcs[at(i + 1, j)] ?? 0, lcs[at(i, j + 1)] ?? 0);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i++] as string });
      j++;
    } else if (i < n && (j === m || (lcs[at(i + 1, j)] ?? 0) >= (lcs[at(i, j + 1)] ?? 0))) {
      // Removals before additions, as diff -u prints them.
      ops.push({ kind: "-", line: a[i++] as string });
    } else {
      ops.push({ kind: "+", line: b[j++] as string });
    }
  }
  return ops;
}

/**
 * `--- fromName` / `+++ toName` and `@@ -l,s +l,s @@` hunks with `context` unchanged lines
 * around each change; empty when the texts are equal.
 */
export function unifiedDiff(
  from: string,
  to: string,
  fromName: string,
  toName: string,
  context = 3,
): string {
  if (from === to) return "";
  const a = lines(from);
  const b = lines(to);
  const header = `--- ${fromName}\n+++ ${toName}\n`;
  if ((a.length + 1) * (b.length + 1) > MAX_CELLS)
    return `${header}@@ -1,${a.length} +1,${b.length} @@ (too large to compare line by line)\n`;
  const ops = editScript(a, b);
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  let out = header;
  let k = 0;
  while (k < changed.length) {
    // A hunk: changes closer than 2 × context lines apart share one.
    let end = k;
    while (
      end + 1 < changed.length &&
      (changed[end + 1] as number) - (changed[end] as number) <= 2 * context
    )
      end++;
    const start = Math.max(0, (changed[k] as number) - context);
    const stop = Math.min(ops.length, (changed[end] as number) + context + 1);
    const before = ops.slice(0, start);
    const aStart = before.filter((o) => o.kind !== "+").length;
    const bStart = before.filter((o) => o.kind !== "-").length;
    const body = ops.slice(start, stop);
    const aLen = body.filter((o) => o.kind !== "+").length;
    const bLen = body.filter((o) => o.kind !== "-").length;
    out += `@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@\n`;
    for (const o of body) out += `${o.kind}${o.line}\n`;
    k = end + 1;
  }
  return out;
}
