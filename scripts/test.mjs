#!/usr/bin/env node
// `npm test`: lint, type-check, every vitest project, then the browser suite (Playwright,
// playwright.config.ts). Ends with one plain summary line ("N passed, N failed, N skipped",
// vitest and Playwright summed) that CI and people can read.
//
// Arguments pick what runs, by one rule: `--project <name>` (repeatable) names a vitest project
// when vitest has one of that name (vitest.config.ts: access, common, sdk, server, idp, envoy,
// demo, repo, bench, foreign); `--project e2e:<name>` names a browser (Playwright) project
// (playwright.config.ts: direct, envoy, session, sdk-browser, grpc-web, keycloak), and
// `--project e2e` all of them. A browser project whose name no vitest project has may also be
// named bare (`--project keycloak`); `envoy` is both, so bare `envoy` is vitest's and the
// browser path through Envoy is `e2e:envoy`. An unknown name is a usage error (exit 2). Other
// arguments go to vitest. With any argument the static checks are skipped.
//   npm test -- --project sdk          one vitest project
//   npm test -- --project envoy        the vitest envoy project (generator, validator, lint)
//   npm test -- --project e2e:envoy    the browser suite through Envoy
//   npm test -- --project e2e          the browser suite only
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const BROWSER_PROJECTS = ["direct", "envoy", "session", "sdk-browser", "grpc-web", "keycloak"];
/** The vitest projects, read from vitest.config.ts (each `name: "…"` of its projects). */
const VITEST_PROJECTS = [
  ...readFileSync(join(root, "vitest.config.ts"), "utf8").matchAll(/\bname:\s*"([\w-]+)"/g),
].map((m) => m[1]);

function parseArgs(argv) {
  const vitestArgs = [];
  const browser = new Set();
  let vitestProjects = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let name;
    if (a === "--project") name = argv[++i];
    else if (a.startsWith("--project=")) name = a.slice("--project=".length);
    else {
      vitestArgs.push(a);
      continue;
    }
    const e2e = name?.startsWith("e2e:") ? name.slice("e2e:".length) : undefined;
    if (name === "e2e") for (const p of BROWSER_PROJECTS) browser.add(p);
    else if (e2e !== undefined && BROWSER_PROJECTS.includes(e2e)) browser.add(e2e);
    else if (e2e === undefined && VITEST_PROJECTS.includes(name)) {
      vitestArgs.push("--project", name);
      vitestProjects++;
    } else if (e2e === undefined && BROWSER_PROJECTS.includes(name)) browser.add(name);
    else {
      console.error(
        `unknown project ${JSON.stringify(name)}: vitest projects are ${VITEST_PROJECTS.join(", ")}; ` +
          `browser projects are e2e (all) or ${BROWSER_PROJECTS.map((p) => `e2e:${p}`).join(", ")}`,
      );
      process.exit(2);
    }
  }
  const all = argv.length === 0;
  return {
    all,
    // Only browser projects named: vitest has nothing to do.
    vitest: all || vitestProjects > 0 || (vitestArgs.length > 0 && browser.size === 0),
    vitestArgs,
    browser: all ? BROWSER_PROJECTS : [...browser],
  };
}

function run(label, cmd, cmdArgs) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, cmdArgs, { stdio: "inherit", cwd: root });
  return r.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

const plan = parseArgs(process.argv.slice(2));
const totals = { passed: 0, failed: 0, skipped: 0 };
let exitStatus = 0;

let staticFailures = 0;
if (plan.all) {
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

if (plan.vitest) {
  const jsonOut = join(root, "test-results", "vitest.json");
  rmSync(jsonOut, { force: true });
  const status = run("tests (vitest)", bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonOut}`,
    ...plan.vitestArgs,
  ]);
  const report = readJson(jsonOut);
  const counts = {
    passed: report?.numPassedTests ?? 0,
    failed: report?.numFailedTests ?? 0,
    skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
  };
  if (status !== 0 && counts.failed === 0) counts.failed = 1; // a suite failed to load
  add("vitest", counts, status);
}

if (plan.browser.length > 0) {
  // playwright.config.ts writes this JSON report (and the HTML one beside it).
  const jsonOut = join(root, "test-results", "playwright", "results.json");
  rmSync(jsonOut, { force: true });
  const status = run(`browser tests (playwright: ${plan.browser.join(", ")})`, bin("playwright"), [
    "test",
    ...plan.browser.flatMap((p) => ["--project", p]),
  ]);
  const stats = readJson(jsonOut)?.stats;
  const counts = {
    passed: (stats?.expected ?? 0) + (stats?.flaky ?? 0),
    failed: stats?.unexpected ?? 0,
    skipped: stats?.skipped ?? 0,
  };
  if (status !== 0 && counts.failed === 0) counts.failed = 1; // the run failed before tests
  add("playwright", counts, status);
}

function add(label, counts, status) {
  console.log(
    `\n${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
  );
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  if (status !== 0) exitStatus = 1;
}

totals.failed += staticFailures;
if (staticFailures)
  console.log(`\n${staticFailures} static check(s) failed (lint/typecheck), counted as failures`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || exitStatus !== 0 ? 1 : 0);
