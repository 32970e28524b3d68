/**
 * Rules shared by the browser SDK (`../web/`), the backend kit (`../server/`), access
 * policy (`../access/`) and the gateway tools (`../envoy/`), written once. Runs in
 * browsers and in Node: no Node module, no dependency, imports nothing outside this folder.
 */
export {
  CONNECT_ALLOWED_HEADERS,
  CONNECT_EXPOSED_HEADERS,
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  type CorsProtocols,
  corsHeaders,
  DPOP_ALLOWED_HEADERS,
  DPOP_EXPOSED_HEADERS,
} from "./cors-headers.js";
export { isLoopbackHost } from "./loopback.js";
export { methodPath } from "./method-path.js";
export { originProblem } from "./origin.js";
