// The browser entry of grpc-web-oidc: what README's SDK section documents, exported by name.
// Nothing here may import Node-only modules or src/server, src/envoy
// (test/sdk/browser-bundle.test.ts enforces it). Tests import internals from their modules.

// The transport and its interceptor.
export { type AuthInterceptorOptions, authInterceptor } from "./auth-interceptor.js";
// DPoP is its own entry (grpc-web-oidc/dpop, src/web/dpop.ts): only the types are here.
export type { DpopSetup, DpopStore } from "./dpop.js";
// Errors: every one has a `code`; the helpers read it, so they work across package copies.
export {
  type ErrorCode,
  GrpcWebOidcError,
  InsecureTransportError,
  isSessionEnded,
  type RefreshErrorReason,
  refreshErrorReason,
  SessionEndedError,
  type SessionEndedReason,
  SignInError,
  StorageUnavailableError,
  sessionEndedReason,
  TokenRefreshError,
} from "./errors.js";
export { grpcWebFetch } from "./grpc-web-fetch.js";
export type { OidcClientSettings, OidcMetadata, SigninArgs } from "./oidc-protocol.js";
// Token sources; the protocol settings of `OidcTokenSource`.
export {
  OidcTokenSource,
  type OidcTokenSourceOptions,
  type SigninRedirectArgs,
} from "./oidc-token-source.js";
// Session mode (also its own entry, grpc-web-oidc/session, without oidc-client-ts).
export {
  createSessionTransport,
  GatewaySession,
  type GatewaySessionOptions,
  type SessionTransportOptions,
} from "./session-transport.js";
export type { LockManagerLike } from "./tab-lock.js";
export {
  type AuthEvent,
  type DpopKeySource,
  type GetTokenOptions,
  type SessionInfo,
  StaticTokenSource,
  type TokenSource,
  tokenSourceFromFunction,
} from "./token-source.js";
export type { TokenStorageChoice } from "./token-storage.js";
export { createOidcTransport, type OidcTransportOptions } from "./transport.js";

// The end-user API stops here. Everything else in src/web is internal: it may change in any
// release, and is reached by tests through its own module.
