import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Node, parseDocument } from "yaml";
import { validateEnvoyConfig, formatFinding } from "../src/envoy/index.js";
import { ENVOY_LOAD_RULES } from "../src/envoy/validate/cross-refs.js";
import { findEnvoy } from "../src/envoy/find-binary.js";
import { GOOD, GOOD_FILE, FIXTURES } from "../test/envoy/validate/corpus.js";
const envoy = findEnvoy(process.cwd())!.path;
const SCHEMA = /^(yaml-syntax|unknown-field|duplicate-field|schema-type|bad-enum|bad-duration|bad-type-url|oneof-multiple|disallowed-field|empty-config|pgv-)/;
function rng(seed: number) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const VALUES: unknown[] = [null, true, false, 0, -1, 4294967296, 1.5, "", "x", "0s", "-1s", "1.5s", "NaN", "10", [], {}, [1, "a"], ["a"], { a: 1 }, "AUTO", "*"];
const dir = mkdtempSync(join(tmpdir(), "gwo-x-"));
let dis = 0;
const start = Number(process.argv[2] ?? 1), n = Number(process.argv[3] ?? 100);
for (let seed = start; seed < start + n; seed++) {
  const r = rng(seed * 31);
  const doc = parseDocument(GOOD);
  const nodes: { parent: Node; key: unknown }[] = [];
  const walk = (x: unknown) => { if (isMap(x)) for (const p of x.items) { nodes.push({ parent: x, key: isScalar(p.key) ? p.key.value : p.key }); walk(p.value); } else if (isSeq(x)) x.items.forEach((it, i) => { nodes.push({ parent: x, key: i }); walk(it); }); };
  walk(doc.contents);
  const pick = nodes[Math.floor(r() * nodes.length)]!;
  const v = VALUES[Math.floor(r() * VALUES.length)];
  const parent = pick.parent as unknown as { set(k: unknown, v: unknown): void; delete(k: unknown): boolean };
  if (r() < 0.25) parent.delete(pick.key); else parent.set(pick.key, doc.createNode(v));
  const text = doc.toString();
  const file = join(dir, `x${seed}.yaml`);
  writeFileSync(file, text);
  let eok = true, ewhy = "";
  try { execFileSync(envoy, ["--mode", "validate", "-c", file, "-l", "critical", "--disable-hot-restart"], { cwd: FIXTURES, stdio: "pipe" }); } catch (e) { eok = false; ewhy = String((e as { stdout: Buffer }).stdout) + String((e as { stderr: Buffer }).stderr); }
  const res = await validateEnvoyConfig(text, { filename: GOOD_FILE });
  const blocking = res.findings.filter((f) => f.severity === "error" && (SCHEMA.test(f.rule) || ENVOY_LOAD_RULES.has(f.rule)));
  const ook = blocking.length === 0;
  if (eok !== ook) { dis++; console.log(`seed ${seed}: envoy ${eok} ours ${ook} key=${String(pick.key)} v=${JSON.stringify(v)}\n  ours: ${blocking.map(formatFinding).join(" | ").slice(0, 300)}\n  envoy: ${ewhy.split("\n").filter(Boolean).pop()?.slice(0, 400)}`); }
}
console.log("disagreements", dis, "of", n);
