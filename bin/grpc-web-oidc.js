#!/usr/bin/env node
// The command runs the esbuild bundle of dist/cli/ (scripts/build-cli.mjs): one file to load
// instead of a module graph. Node's compile cache (Node >= 22.1; NODE_COMPILE_CACHE picks the
// folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps V8's compiled code between runs.
import module from "node:module";

// A command runs for well under a second. V8 would send the functions it finds hot (the YAML
// reader, the decoder) to Maglev and TurboFan on background threads, about 24 ms of CPU for
// `envoy validate` on the bundle, and the process exits before that code pays back. Ten times
// V8's thresholds keep an ordinary config in the interpreter and baseline code, and still
// optimize what a very large one runs often. (Tiering reads these flags as it goes; the
// process is ours alone. Through require: importing node:v8 would build its ESM facade.)
const v8 = module.createRequire(import.meta.url)("node:v8");
for (const flag of [
  "--invocation-count-for-maglev=4000",
  "--invocation-count-for-maglev-osr=1000",
  "--invocation-count-for-turbofan=30000",
  "--invocation-count-for-osr=5000",
])
  v8.setFlagsFromString(flag);
module.enableCompileCache?.();
let cli;
try {
  cli = await import("../dist/cli/bundle/main.js");
} catch (e) {
  // A dist/ built by tsc alone (no bundle): the same code, module by module.
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("bundle")) throw e;
  cli = await import("../dist/cli/main.js");
}
// Standard output by file descriptor, not through process.stdout (src/cli/output.ts says why).
process.exitCode = await cli.main(process.argv.slice(2), cli.directStdout);
