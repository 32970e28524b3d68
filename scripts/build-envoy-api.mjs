// Part of `npm run build` (after tsc): the Envoy API snapshot in dist/envoy-api/, so
// `envoy validate` loads JSON per package instead of parsing .proto files on every run
// (src/envoy/schema/snapshot.ts writes it, src/envoy/schema/protos.ts reads it).
import { buildSnapshot } from "../dist/envoy/schema/snapshot.js";

const index = buildSnapshot();
console.log(`dist/envoy-api: ${Object.keys(index.packages).length} packages of the Envoy API`);
