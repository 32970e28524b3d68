// Offline validation, whole process, side by side in alternating rounds:
// `grpc-web-oidc envoy validate envoy/envoy.yaml` and `grpc-web-oidc envoy generate --check`
// against Envoy's own `envoy --mode validate` on the same bundle staged as it is mounted
// (Envoy needs every file the config names). Reports medians of wall time and the CPU the
// child used (Linux /proc cutime+cstime). Standalone: `node bench/validate.bench.mjs [rounds]`
// (needs `npm run build` and `npm run setup:envoy`).
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = join(root, "node_modules", ".bin", "node");
const cli = join(root, "bin", "grpc-web-oidc.js");

function findEnvoy() {
  const candidates = [process.env.ENVOY_BIN, join(root, ".venv", "envoy", "bin", "envoy")];
  return candidates.find((c) => c && existsSync(c));
}

/** The bundle laid out as mounted, /etc/envoy mapped to a temp folder, empty certificates. */
function stage() {
  const dir = mkdtempSync(join(tmpdir(), "gwo-bench-validate-"));
  const map = (t) => t.replaceAll("/etc/envoy", dir);
  mkdirSync(join(dir, "sds"), { recursive: true });
  for (const f of readdirSync(join(root, "envoy", "sds"))) {
    const text = map(readFileSync(join(root, "envoy", "sds", f), "utf8"));
    writeFileSync(join(dir, "sds", f), text);
    for (const m of text.matchAll(/^\s*filename: (\S+)$/gm)) {
      mkdirSync(dirname(m[1]), { recursive: true });
      writeFileSync(m[1], "");
    }
  }
  writeFileSync(
    join(dir, "envoy.yaml"),
    map(readFileSync(join(root, "envoy", "envoy.yaml"), "utf8")),
  );
  return join(dir, "envoy.yaml");
}

/** Children's CPU so far, ms (clock ticks of cutime + cstime); undefined off Linux. */
function childCpuMs() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17; USER_HZ = 100
  } catch {
    return undefined;
  }
}

function time(cmd, args) {
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  const wall = performance.now() - t0;
  const cpu1 = childCpuMs();
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: cpu0 === undefined ? undefined : cpu1 - cpu0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(rounds = 15) {
  const envoy = findEnvoy();
  if (!envoy) throw new Error("no Envoy binary (npm run setup:envoy)");
  if (!existsSync(join(root, "dist", "cli", "main.js")))
    throw new Error("no dist/ (npm run build)");
  const config = stage();
  const cmds = {
    validate: [node, [cli, "envoy", "validate", "envoy/envoy.yaml"]],
    check: [node, [cli, "envoy", "generate", "--check"]],
    envoy: [envoy, ["--mode", "validate", "-c", config, "-l", "critical", "--disable-hot-restart"]],
  };
  for (const [cmd, args] of Object.values(cmds)) time(cmd, args); // warm: page cache, image cache
  const got = { validate: [], check: [], envoy: [] };
  for (let i = 0; i < rounds; i++) for (const k of Object.keys(cmds)) got[k].push(time(...cmds[k]));
  const stat = (k, f) => median(got[k].map((x) => x[f]));
  const figure = (name, k, f, unit) => {
    const ours = stat(k, f);
    const theirs = stat("envoy", f);
    return {
      name,
      unit,
      ours: Math.round(ours),
      compared_to: `envoy --mode validate, same bundle staged as mounted, ${f === "wall" ? "wall" : "CPU"} time, median of ${rounds} alternating rounds`,
      theirs: Math.round(theirs),
      ratio: Number((ours / theirs).toFixed(2)),
      goal: "<= 1.0 (no slower than Envoy's own check)",
      met: ours <= theirs,
      how: `each command a fresh process (node bin/grpc-web-oidc.js, as npx runs it, without npm's own start-up), ${rounds} rounds in turn after a warm-up run; medians`,
    };
  };
  const figures = [
    figure("envoy validate envoy/envoy.yaml, whole process", "validate", "wall", "ms"),
    figure("envoy generate --check, whole process", "check", "wall", "ms"),
  ];
  if (stat("envoy", "cpu") !== undefined) {
    figures.push(figure("envoy validate envoy/envoy.yaml, CPU", "validate", "cpu", "ms CPU"));
    figures.push(figure("envoy generate --check, CPU", "check", "cpu", "ms CPU"));
  }
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of await run(Number(process.argv[2] ?? 15)))
    console.log(
      `${f.name}: ${f.ours} ${f.unit} vs Envoy ${f.theirs} -> ratio ${f.ratio} (goal ${f.goal}: ${f.met ? "met" : "NOT met"})`,
    );
}
