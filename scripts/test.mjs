#!/usr/bin/env node
// `npm test`: lint, type-check, then every vitest project. Ends with one plain
// summary line ("N passed, N failed, N skipped") that CI and people can read.
// Extra arguments go to vitest (e.g. `npm test -- --project sdk`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const only = args.length > 0;

function run(label, cmd, cmdArgs) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, cmdArgs, { stdio: "inherit", cwd: root });
  return r.status ?? 1;
}

let staticFailures = 0;
if (!only) {
  if (run("lint (biome)", bin("biome"), ["check", "."]) !== 0) staticFailures++;
  if (run("typecheck (tsc)", bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]) !== 0)
    staticFailures++;
  // The browser SDK again, without Node types: a Node global in browser code fails here.
  if (
    run("typecheck browser (tsc, no Node types)", bin("tsc"), ["-p", "src/web/tsconfig.json"]) !== 0
  )
    staticFailures++;
}

mkdirSync(join(root, "test-results"), { recursive: true });
const jsonOut = join(root, "test-results", "vitest.json");
const status = run("tests (vitest)", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${jsonOut}`,
  ...args,
]);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(jsonOut, "utf8"));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (status !== 0 && failed === 0) failed = 1; // a suite failed to load
} catch {
  failed = Math.max(failed, 1);
}
failed += staticFailures;
if (staticFailures)
  console.log(`\n${staticFailures} static check(s) failed (lint/typecheck), counted as failures`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || status !== 0 ? 1 : 0);
