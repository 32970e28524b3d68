// Runs on `npm ci` / `npm install` in this repository (not for consumers of the
// published package, which ships dist/): builds dist/ so the `grpc-web-oidc`
// CLI works from a fresh clone.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync(new URL("../node_modules/.bin/tsc", import.meta.url))) process.exit(0);
const r = spawnSync("tsc", ["-p", "tsconfig.build.json"], { stdio: "inherit", shell: false });
if (r.status !== 0) process.exit(r.status ?? 1);
// The Envoy API snapshot that `envoy validate` loads instead of parsing .proto files.
const s = spawnSync(process.execPath, ["scripts/build-envoy-api.mjs"], { stdio: "inherit" });
process.exit(s.status ?? 1);
