import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Node, parseDocument, Scalar } from "yaml";
import { validateEnvoyConfig, formatFinding } from "../src/envoy/index.js";
import { ENVOY_LOAD_RULES } from "../src/envoy/validate/cross-refs.js";
import { findEnvoy } from "../src/envoy/find-binary.js";
import { GOOD, GOOD_FILE, FIXTURES, rng } from "../test/envoy/validate/corpus.js";
const envoy = findEnvoy(process.cwd())!.path;
const SCHEMA = /^(yaml-syntax|unknown-field|duplicate-field|schema-type|bad-enum|bad-duration|bad-type-url|oneof-multiple|disallowed-field|empty-config|pgv-)/;
const PLAIN = ["0x10", "1.0", "yes", "on", "Off", "Auto", "-5", "2147483648", "1e2", "010", "08", "~", "NULL", ".5", "1.5s", "0.000000001s", "315576000001s", "-0s", "https", "a b", ":path", "x_y", "TLSv1_3", "tlsv1_3", "*", "0", "65536", "4294967295", "http2", "3"];
const OBJ: unknown[] = [{ seconds: 1 }, { value: 1 }, { value: "x" }, [[]], [["a"]], [null], {}, [], { seconds: -1 }];
const dir = mkdtempSync(join(tmpdir(), "gwo-x2-"));
let dis = 0;
const start = Number(process.argv[2] ?? 1), n = Number(process.argv[3] ?? 100);
for (let seed = start; seed < start + n; seed++) {
  const r = rng(seed * 101);
  const doc = parseDocument(GOOD);
  const nodes: { parent: any; key: unknown }[] = [];
  const walk = (x: unknown) => { if (isMap(x)) for (const p of x.items) { nodes.push({ parent: x, key: isScalar(p.key) ? p.key.value : p.key }); walk(p.value); } else if (isSeq(x)) x.items.forEach((it, i) => { nodes.push({ parent: x, key: i }); walk(it); }); };
  walk(doc.contents);
  let desc = "";
  for (let k = 0; k < Number(process.env.K ?? 1); k++) {
  const pick = nodes[Math.floor(r() * nodes.length)]!;
  if (r() < 0.7) { const t = PLAIN[Math.floor(r() * PLAIN.length)]!; const sc = new Scalar(t); sc.type = r() < 0.3 ? Scalar.QUOTE_DOUBLE : Scalar.PLAIN; pick.parent.set(pick.key, sc); desc += ` ${String(pick.key)}=${sc.type} ${t}`; }
  else { const v = OBJ[Math.floor(r() * OBJ.length)]; pick.parent.set(pick.key, doc.createNode(v)); desc += ` ${String(pick.key)}=${JSON.stringify(v)}`; }
  }
  const text = doc.toString();
  const file = join(dir, `x${seed}.yaml`);
  writeFileSync(file, text);
  let eok = true, ewhy = "";
  try { execFileSync(envoy, ["--mode", "validate", "-c", file, "-l", "critical", "--disable-hot-restart"], { cwd: FIXTURES, stdio: "pipe" }); } catch (e) { eok = false; ewhy = String((e as { stdout: Buffer }).stdout) + String((e as { stderr: Buffer }).stderr); }
  const res = await validateEnvoyConfig(text, { filename: GOOD_FILE });
  const blocking = res.findings.filter((f) => f.severity === "error" && (SCHEMA.test(f.rule) || ENVOY_LOAD_RULES.has(f.rule)));
  const ook = blocking.length === 0;
  if (eok !== ook) { dis++; console.log(`seed ${seed}: envoy ${eok} ours ${ook} ${desc}\n  ours: ${blocking.map(formatFinding).join(" | ").slice(0, 300)}\n  envoy: ${ewhy.split("\n").filter(Boolean).pop()?.slice(0, 400)}`); }
}
console.log("disagreements", dis, "of", n);
