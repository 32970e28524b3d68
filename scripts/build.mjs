// `npm run build` (also `prepare`): dist/ from src/, from scratch, then the Envoy API snapshot
// (scripts/build-envoy-api.mjs), then the CLI bundle. dist/ is what the package ships (with
// src/ for the source maps), so a file left over from an earlier build (a module since moved
// or removed) must not survive into it.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });
const tsc = spawnSync(`${root}node_modules/.bin/tsc`, ["-p", "tsconfig.build.json"], {
  stdio: "inherit",
  cwd: root,
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const api = spawnSync(process.execPath, ["scripts/build-envoy-api.mjs"], {
  stdio: "inherit",
  cwd: root,
});
if (api.status !== 0) process.exit(api.status ?? 1);
const cli = spawnSync(process.execPath, ["scripts/build-cli.mjs"], { stdio: "inherit", cwd: root });
process.exit(cli.status ?? 1);
