#!/usr/bin/env node
// `npm run bench`: run every bench/*.bench.mjs, then write bench/results.json and
// bench/REPORT.md. Each bench exports `async function run()` returning its figures
// `{ name, unit, ours, compared_to, theirs, ratio, goal, met, how?, note? }`, either as an
// array or as `{ figures, section }` where `section` is Markdown for the report (tables).
// `npm run bench -- bundle per-call` runs only the benches whose file name contains one of
// the words; the figures and sections of the benches that did not run are kept as they were.
// Benches may import the TypeScript sources: tsx is registered first.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const { describeOpen, leftOpen, leftOpenAfterClose, openResources } = await import(
  "./lib/event-loop.ts"
);
// What keeps the event loop alive before any bench (stdio and the like): a bench must leave
// no more than this behind, or `npm run bench` writes its report and never exits.
const atStart = openResources();
const dir = new URL(".", import.meta.url).pathname;
const resultsPath = join(dir, "results.json");
const only = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .sort();
const benchOf = (file) => file.replace(/\.bench\.mjs$/, "");
const files = all.filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  process.stderr.write(
    `no bench matches ${only.join(", ")}; benches: ${all.map(benchOf).join(", ")}\n`,
  );
  process.exit(2);
}

// What earlier runs measured, kept for the benches that do not run now.
const previous = existsSync(resultsPath)
  ? JSON.parse(readFileSync(resultsPath, "utf8"))
  : { figures: [], sections: {}, runs: {} };
const byBench = new Map();
const sections = { ...(previous.sections ?? {}) };
const runs = { ...(previous.runs ?? {}) };
for (const f of previous.figures ?? []) {
  if (!f.bench) continue;
  if (!byBench.has(f.bench)) byBench.set(f.bench, []);
  byBench.get(f.bench).push(f);
}

const failures = [];
/** What each bench left keeping the event loop alive after its run() settled (bench → kinds). */
const leftBy = new Map();
for (const file of files) {
  const bench = benchOf(file);
  process.stdout.write(`== ${bench}\n`);
  const started = Date.now();
  const before = openResources();
  try {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    const got = await mod.run();
    const figures = Array.isArray(got) ? got : got.figures;
    byBench.set(
      bench,
      figures.map((f) => ({ bench, ...f })),
    );
    if (!Array.isArray(got) && got.section) sections[bench] = got.section;
    else delete sections[bench];
    runs[bench] = {
      at: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    for (const f of figures) {
      process.stdout.write(
        `   ${f.name}: ${fmt(f.ours)} ${f.unit}` +
          (f.theirs != null ? ` (vs ${fmt(f.theirs)}: ${f.compared_to})` : "") +
          ` ratio ${fmt(f.ratio)} goal ${f.goal} -> ${f.met ? "met" : "NOT met"}\n`,
      );
    }
  } catch (err) {
    failures.push({ bench, error: String(err?.stack ?? err) });
    process.stdout.write(`   FAILED: ${err?.stack ?? err}\n`);
  }
  const left = await leftOpenAfterClose(before);
  if (Object.keys(left).length) {
    leftBy.set(bench, left);
    process.stdout.write(`   left open after run(): ${describeOpen(left)}\n`);
  }
}

function fmt(v) {
  if (v == null) return "—";
  return typeof v === "number"
    ? v.toLocaleString("en-US", { maximumFractionDigits: 4 })
    : String(v);
}

// Report order: the benches' file order; benches whose file is gone are dropped.
const order = all.map(benchOf);
const figures = order.flatMap((b) => byBench.get(b) ?? []);
for (const b of Object.keys(sections)) if (!order.includes(b)) delete sections[b];
writeFileSync(resultsPath, `${JSON.stringify({ figures, sections, runs }, null, 2)}\n`);

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const cell = (s) =>
  String(s ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");
const lines = [
  "# Benchmarks",
  "",
  `Written by \`npm run bench\` (Node ${process.version}, ${os.cpus().length} × ${cpu}, ` +
    `${os.platform()} ${os.arch()}). Every figure is a ratio against an alternative built and run ` +
    "in the same bench run; timed figures are medians of alternating rounds (counts in each " +
    '"how measured"). The machine is shared with other work (2 cores), so times move between ' +
    "runs; counts and bytes are exact. When each bench last ran: " +
    order
      .filter((b) => runs[b])
      .map((b) => `${b} ${runs[b].at.slice(0, 16).replace("T", " ")} (${runs[b].seconds} s)`)
      .join(", ") +
    ".",
  "",
  "| bench | figure | ours | unit | compared to | theirs | ratio | goal | met | how measured |",
  "| --- | --- | ---: | --- | --- | ---: | ---: | --- | --- | --- |",
  ...figures.map(
    (f) =>
      `| ${f.bench} | ${cell(f.name)} | ${fmt(f.ours)} | ${f.unit} | ${cell(f.compared_to)} | ` +
      `${fmt(f.theirs)} | ${fmt(f.ratio)} | ${cell(f.goal)} | ${f.met ? "yes" : "**no**"} | ${cell(f.how)} |`,
  ),
  "",
  ...figures.filter((f) => f.note).map((f) => `- **${f.name}**: ${f.note}`),
  ...order.filter((b) => sections[b]).flatMap((b) => ["", `## ${b}`, "", sections[b]]),
  ...(failures.length
    ? [
        "",
        "## Failed in the last run",
        "",
        ...failures.map((f) => `- ${f.bench}: \`${f.error.split("\n")[0]}\``),
      ]
    : []),
  "",
];
writeFileSync(join(dir, "REPORT.md"), lines.join("\n"));
// Keep the generated report in the repository's Markdown format (biome pads tables).
spawnSync(
  join(dir, "..", "node_modules", ".bin", "biome"),
  ["format", "--write", join(dir, "REPORT.md")],
  { stdio: "ignore" },
);
process.stdout.write(
  `wrote bench/results.json (${figures.length} figures) and bench/REPORT.md` +
    (only.length ? ` (ran: ${files.map(benchOf).join(", ")}; others kept)` : "") +
    "\n",
);
process.exitCode = failures.length ? 1 : 0;

// Everything is written and every bench has closed what it opened, so Node exits now. If it
// is still running after this grace, something a bench opened keeps it alive: name it and the
// benches that left resources open, and fail instead of hanging forever (the timer is unref'd,
// so it never fires, and never keeps the process alive, in a run that exits by itself).
const EXIT_GRACE_MS = 10_000;
setTimeout(() => {
  const blamed = [...leftBy].map(([b, l]) => `${b} (${describeOpen(l)})`).join(", ");
  process.stderr.write(
    `bench: the report is written but ${describeOpen(leftOpen(atStart))} still keep Node ` +
      `running ${EXIT_GRACE_MS / 1000} s later; left open by: ${blamed || "no bench when it returned"}. ` +
      "A bench must close what it opens (servers, browsers, child processes, timers).\n",
  );
  process.exit(1);
}, EXIT_GRACE_MS).unref();
