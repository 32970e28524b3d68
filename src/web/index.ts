// The browser entry of grpc-web-oidc. Nothing here may import Node-only modules or
// src/server, src/envoy (test/sdk/browser-bundle.test.ts enforces it).
export {
  type AuthInterceptorOptions,
  authInterceptor,
  parseGrpcTimeout,
} from "./auth-interceptor.js";
export {
  InsecureTransportError,
  isSessionEnded,
  type RefreshErrorReason,
  refreshErrorReason,
  SessionEndedError,
  type SessionEndedReason,
  SignInError,
  sessionEndedReason,
  TokenRefreshError,
} from "./errors.js";
export { grpcWebFetch } from "./grpc-web-fetch.js";
export { OidcTokenSource, type OidcTokenSourceOptions } from "./oidc-token-source.js";
export { redact } from "./redact.js";
export { assertSecureUrl, isLoopbackHost } from "./secure-url.js";
export { abortable, singleFlight } from "./single-flight.js";
export {
  inTabLock,
  type LockManagerLike,
  type StorageLeaseOptions,
  type StorageLike,
  storageLeaseLock,
  webLocks,
} from "./tab-lock.js";
export {
  type AuthEvent,
  AuthEventEmitter,
  type GetTokenOptions,
  type SessionInfo,
  StaticTokenSource,
  type TokenSource,
  tokenSourceFromFunction,
} from "./token-source.js";
export { createOidcTransport, type OidcTransportOptions } from "./transport.js";
