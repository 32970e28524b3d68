import { readFileSync } from "node:fs";
import { validateEnvoyConfig, formatFinding } from "../src/envoy/index.js";
const r = await validateEnvoyConfig(readFileSync(process.argv[2]!, "utf8"), { filename: "/work/main/test/envoy/fixtures/good.yaml" });
for (const f of r.findings) console.log(formatFinding(f));
