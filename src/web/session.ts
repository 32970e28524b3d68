// The session-mode entry of grpc-web-oidc (`grpc-web-oidc/session`): for apps behind a gateway
// that holds the tokens (Envoy's oauth2 filter). Nothing reachable from here imports
// oidc-client-ts (test/sdk/session-bundle.test.ts enforces it).
export type { SessionEndedReason } from "./errors.js";
export {
  InsecureTransportError,
  isSessionEnded,
  SessionEndedError,
  sessionEndedReason,
} from "./errors.js";
export {
  createSessionTransport,
  GatewaySession,
  type GatewaySessionOptions,
  type SessionTransportOptions,
} from "./session-transport.js";
export type { AuthEvent } from "./token-source.js";
