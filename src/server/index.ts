/**
 * `grpc-web-oidc/server`: Connect-node building blocks for a secured gRPC backend.
 * Node only; never import this from browser code.
 */

export {
  CONNECT_ALLOWED_HEADERS,
  CONNECT_EXPOSED_HEADERS,
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  type CorsProtocols,
  corsHeaders,
  methodPath,
  originProblem,
} from "../common/index.js";
/** The ext_authz service descriptor, for `router.service(Authorization, createDpopAuthzService())`. */
export { Authorization } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
export {
  type AccessInterceptorOptions,
  createAccessInterceptor,
  PERMISSION_DENIED_MESSAGE,
} from "./access-interceptor.js";
export {
  type AuthnDpopOptions,
  type AuthnInterceptorOptions,
  createAuthnInterceptor,
  JWKS_UNAVAILABLE_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
} from "./authn-interceptor.js";
export { type CaFetchOptions, createCaFetch } from "./ca-fetch.js";
export {
  type AuthenticatedPrincipal,
  authorizationHeadersKey,
  dpopHeadersKey,
  peerKey,
  principalKey,
  remoteAddressKey,
} from "./context.js";
export {
  type CorsOptions,
  type NodeHandler,
  validateOrigins,
  withCors,
} from "./cors.js";
export {
  type DenialReason,
  type DenialRecord,
  type DenialSink,
  denialRecord,
  emitDenial,
  jsonLineDenialSink,
} from "./denial-log.js";
export {
  createDpopAuthzService,
  DPOP_ORIGIN_EXTENSION,
  type DpopAuthzServiceOptions,
} from "./dpop/authz-service.js";
export { type ChallengeError, type ChallengeOptions, dpopChallenge } from "./dpop/challenge.js";
export { type DpopChallengeError, type DpopErrorCode, DpopProofError } from "./dpop/errors.js";
export { normalizeOrigin, normalizePath, parseHtu } from "./dpop/htu.js";
export { createDpopNonces, type DpopNonceOptions, type DpopNonces } from "./dpop/nonce.js";
export {
  createReplayCache,
  type ReplayCache,
  type ReplayCacheOptions,
  type ReplayVerdict,
} from "./dpop/replay-cache.js";
export { jwkThumbprint } from "./dpop/thumbprint.js";
export {
  createDpopVerifier,
  type DpopRequest,
  type DpopVerifier,
  type DpopVerifierOptions,
  type VerifiedDpopProof,
} from "./dpop/verify-proof.js";
export {
  binaryResponseToText,
  decodeBase64Stream,
  encodeBase64Frames,
  GRPC_WEB_TEXT_RESPONSE_TYPE,
  isGrpcWebText,
  textRequestToBinary,
} from "./grpc-web-text.js";
export { type HandshakeSource, logRefusedHandshakes } from "./handshake-log.js";
export {
  type HeaderLimitOptions,
  headerListSize,
  limitRequestHeaders,
} from "./header-limit.js";
export {
  createHealthService,
  type HealthService,
  type HealthServiceOptions,
  ServingStatus,
} from "./health.js";
export {
  createJwtVerifier,
  DEFAULT_ALGORITHMS,
  type JwtVerifier,
  type JwtVerifierOptions,
  jwtVerifierOptions,
  TokenRejectedError,
} from "./jwt-verifier.js";
export {
  enforcePeerAllowList,
  MTLS_SERVER_OPTIONS,
  type PeerGateOptions,
  requireAllowedPeer,
  type SecureConnectionSource,
} from "./mtls.js";
export { createNodeAdapter, type NodeAdapterOptions } from "./node-adapter.js";
export {
  createPeerAllowList,
  type PeerAllowList,
  type PeerIdentity,
  parseSubjectAltName,
  peerIdentityFromCertificate,
  peerIdentityFromSocket,
} from "./peer-identity.js";
export {
  createReloadingTls,
  type ReloadingTls,
  type ReloadingTlsOptions,
  type SecureContextTarget,
  type TlsFiles,
} from "./reloading-tls.js";
export { createRequestContext, type RequestContextOptions } from "./request-context.js";
export {
  type ServeWhenKeysLoadedOptions,
  serveWhenKeysLoaded,
} from "./serve-when-keys-loaded.js";
export {
  createStreamLifetimeInterceptor,
  STREAM_MAX_DURATION_MESSAGE,
  STREAM_TOKEN_EXPIRED_MESSAGE,
  type StreamLifetimeOptions,
} from "./stream-lifetime.js";
export {
  createStreamLimitInterceptor,
  type StreamLimitOptions,
  TOO_MANY_STREAMS_MESSAGE,
} from "./stream-limit.js";
export { UNKNOWN_METHOD_MESSAGE, unknownMethodFallback } from "./unknown-method.js";
export {
  createVerifiedTokenCache,
  tokenDigest,
  type VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
} from "./verified-token-cache.js";
