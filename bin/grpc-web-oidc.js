#!/usr/bin/env node
// The command runs the esbuild bundle of dist/cli/ (scripts/build-cli.mjs): one file to load
// instead of a module graph. Node's compile cache (Node >= 22.1; NODE_COMPILE_CACHE picks the
// folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps V8's compiled code between runs.
import module from "node:module";

module.enableCompileCache?.();
let cli;
try {
  cli = await import("../dist/cli/bundle/main.js");
} catch (e) {
  // A dist/ built by tsc alone (no bundle): the same code, module by module.
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("bundle")) throw e;
  cli = await import("../dist/cli/main.js");
}
process.exitCode = await cli.main(process.argv.slice(2));
