#!/usr/bin/env node
// Runs one bench module's run() in a process of its own, as `npm run bench` does, and prints
// `{ "figures": [...], "left": { kind: count } }` as the last line of stdout: `left` is what
// still keeps the event loop alive beyond what was open before the bench was imported.
//   node test/bench/run-bench.mjs <bench file name> '<JSON options for run()>'
// With nothing left open the process then exits by itself (the test checks that it does);
// with something left open it would never exit, so it exits 3 after printing.
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const root = new URL("../..", import.meta.url);
const { leftOpenAfterClose, openResources } = await import(
  new URL("bench/lib/event-loop.ts", root).href
);
const [file, options = "{}"] = process.argv.slice(2);
const before = openResources();
const bench = await import(pathToFileURL(new URL(`bench/${file}`, root).pathname).href);
const got = await bench.run(JSON.parse(options));
const left = await leftOpenAfterClose(before);
process.stdout.write(
  `${JSON.stringify({ figures: Array.isArray(got) ? got : got.figures, left })}\n`,
);
if (Object.keys(left).length > 0) process.exit(3);
