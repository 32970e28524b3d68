// Runs on `npm ci` / `npm install` in this repository and before `npm pack` / `npm publish`
// (not for consumers of the published package, which ships dist/): builds dist/ so the
// `grpc-web-oidc` CLI works from a fresh clone and the package holds exactly today's build.
import { existsSync } from "node:fs";

if (!existsSync(new URL("../node_modules/.bin/tsc", import.meta.url))) process.exit(0);
await import("./build.mjs");
