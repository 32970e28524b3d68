/**
 * The gateway model: everything the generator needs, typed and with defaults
 * applied. `load.ts` builds it from `gateway.yaml`; `demo/envoy.ts` builds it in
 * code for the local stack. The generator never reads YAML itself.
 */
import type { ResolvedClaimSettings } from "../../access/index.js";

/** A PEM certificate and its private key, as paths inside the gateway's filesystem. */
export interface CertificateFiles {
  /** PEM certificate chain, e.g. `/etc/envoy/tls/server/tls.crt`. */
  readonly certificate: string;
  /** PEM private key, e.g. `/etc/envoy/tls/server/tls.key`. */
  readonly key: string;
}

/** The public HTTPS listener that browsers reach. */
export interface ListenerModel {
  /** Bind address. @default "0.0.0.0" */
  readonly address: string;
  /** Bind port. @default 8443 */
  readonly port: number;
  /**
   * Host names the virtual host answers for (the port is stripped first).
   * @default ["*"]
   * @example ["api.notes.example.com"]
   */
  readonly hostnames: readonly string[];
  /** The server certificate (served through SDS, reloaded on a directory swap). */
  readonly tls: CertificateFiles;
}

/** Envoy's admin interface; loopback only. */
export interface AdminModel {
  /** Must be a loopback address. @default "127.0.0.1" */
  readonly address: string;
  /** @default 9901 */
  readonly port: number;
}

/**
 * A TLS listener for Kubernetes probes (`/ready` backed by the upstream's gRPC health). It
 * stays outside the global connection cap, so a flood of the public listener cannot fail
 * the probes (and get the pod restarted); its own small cap keeps it from being the flood.
 */
export interface ProbeModel {
  /** @default "0.0.0.0" */
  readonly address: string;
  /** @default 19001 */
  readonly port: number;
  /** Connections the probe listener holds at once; more are closed at accept. @default 64 */
  readonly maxConnections: number;
}

/** Browser origins allowed to call the API. */
export interface CorsModel {
  /**
   * Exact origins (`scheme://host[:port]`), never a pattern.
   * @example ["https://notes.example.com"]
   */
  readonly allowedOrigins: readonly string[];
  /** Preflight cache lifetime in seconds. @default 7200 (Chromium's cap) */
  readonly maxAgeSeconds: number;
  /** Also allow the Connect protocol's CORS headers (`corsHeaders({ connect: true })`). @default false */
  readonly allowConnectProtocol: boolean;
}

/**
 * The OIDC provider whose access tokens the gateway verifies. The claim fields are the
 * shared `ClaimSettings` (src/access/claim-settings.ts) that also configure the backend kit
 * (`jwtVerifierOptions`) and the SDK (`rolesClaim`): issuer, audiences, `tokenType` (header
 * `typ`), scope and roles claims, required claim values, clock skew (default 30 s).
 */
export interface JwtModel extends ResolvedClaimSettings {
  /** HTTPS URI of the JWKS. */
  readonly jwksUri: string;
  /** PEM CA bundle that verifies the JWKS server's certificate. */
  readonly jwksCa: string;
  /** How long fetched keys are cached, in seconds. @default 300 */
  readonly jwksCacheSeconds: number;
}

/** The gRPC backend, reached over mutual TLS. */
export interface UpstreamModel {
  /** Host name or IP of the backend. */
  readonly address: string;
  readonly port: number;
  /**
   * The SAN the backend's certificate must carry. A value with `://` is a URI SAN
   * (SPIFFE ID), anything else a DNS SAN.
   * @example "spiffe://notes.example.com/ns/notes/sa/notes-backend"
   */
  readonly san: string;
  /** SNI sent to the backend. @default address */
  readonly sni: string;
  /** PEM CA bundle that verifies the backend. */
  readonly ca: string;
  /** The gateway's client certificate, presented to the backend. */
  readonly clientCertificate: CertificateFiles;
  /** TCP+TLS connect timeout, seconds. @default 5 */
  readonly connectTimeoutSeconds: number;
}

/** Where the SDS resource files live (what `path_config_source` points at). */
export interface SdsModel {
  /** Directory holding `server-cert.yaml` etc. @default "/etc/envoy/sds" */
  readonly dir: string;
}

/** Hardening limits, all with edge-proxy defaults. */
export interface LimitsModel {
  /** @default 60 */
  readonly maxRequestHeadersKb: number;
  /** Per-connection read/write buffer, bytes. @default 32768 */
  readonly perConnectionBufferBytes: number;
  /** @default 10 */
  readonly requestHeadersTimeoutSeconds: number;
  /** Idle stream timeout, seconds. @default 300 */
  readonly streamIdleTimeoutSeconds: number;
  /**
   * A connection with no open call is closed after this many seconds (HTTP/2: GOAWAY, so the
   * client retries on a new one); also the bound on a connection that completes TLS and then
   * sends nothing. Short, like Apache's and Node's 5 s keep-alive: an idle browser pays one
   * resumed TLS handshake on its next call. @default 10
   */
  readonly connectionIdleTimeoutSeconds: number;
  /**
   * The TLS handshake must finish this many seconds after the TCP connection is accepted
   * (`transport_socket_connect_timeout`); a connection that never sends a byte is closed then.
   * @default 5
   */
  readonly tlsHandshakeTimeoutSeconds: number;
  /**
   * Longest life of any call at the gateway, seconds (route `max_stream_duration`): the token is
   * checked once, when a stream starts, so this bounds how long a stream outlives it. A hard
   * backstop: Envoy resets a stream that reaches it (clients read INTERNAL), so the backend
   * should end its streams cleanly a little before (the backend kit's
   * `createStreamLifetimeInterceptor`, 15 min by default). @default 960
   */
  readonly maxStreamDurationSeconds: number;
  /** @default 100 */
  readonly maxConcurrentStreams: number;
  /** Heap size the overload manager measures against. @default 1073741824 */
  readonly maxHeapBytes: number;
  /** Global downstream connection cap. @default 10000 */
  readonly maxDownstreamConnections: number;
  /** Circuit breaker of authenticated unary calls (cluster `backend`). */
  readonly circuitBreaker: {
    /** @default 1024 */
    readonly maxConnections: number;
    /** @default 1024 */
    readonly maxPendingRequests: number;
    /** @default 1024 */
    readonly maxRequests: number;
  };
  /**
   * Concurrent streaming calls forwarded to the backend, all clients together (circuit
   * breaker of cluster `backend_streams`): a stream flood spends this, never the unary budget.
   * @default 512
   */
  readonly streamBudget: number;
  /**
   * Requests per second one downstream connection may start (a token bucket per connection,
   * burst twice that), checked before token verification: a connection over it gets
   * RESOURCE_EXHAUSTED. Bounds what one
   * connection's request flood costs; a browser's calls stay far below it. 0: off. @default 25
   */
  readonly requestsPerConnection: number;
  /**
   * New connections the public listener accepts per second, all clients together (a token
   * bucket before TLS; over it a connection is closed at accept). A flood can then hold at most
   * `connectionsPerSecond × tlsHandshakeTimeout` silent connections, whatever it sends: keep
   * that below `maxDownstreamConnections`. Not per client: a flood also slows new users'
   * connections, in proportion. Undefined: no connection rate limit.
   * @default undefined
   * @example 200
   */
  readonly connectionsPerSecond: number | undefined;
  /**
   * Concurrent calls of public methods (no token: health Check) forwarded to the backend
   * (cluster `backend_public`): anonymous callers cannot spend the budget of signed-in users.
   * @default 100
   */
  readonly publicBudget: number;
}

/** The edge-proxy defaults of every limit (what `gateway.yaml` gets when a key is left out). */
export const DEFAULT_LIMITS: LimitsModel = {
  maxRequestHeadersKb: 60,
  perConnectionBufferBytes: 32768,
  requestHeadersTimeoutSeconds: 10,
  streamIdleTimeoutSeconds: 300,
  connectionIdleTimeoutSeconds: 10,
  tlsHandshakeTimeoutSeconds: 5,
  maxStreamDurationSeconds: 960,
  maxConcurrentStreams: 100,
  maxHeapBytes: 1073741824,
  maxDownstreamConnections: 10000,
  circuitBreaker: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 },
  streamBudget: 512,
  publicBudget: 100,
  connectionsPerSecond: undefined,
  requestsPerConnection: 25,
};

/** Which parts of `grpc.health.v1.Health` the public listener serves. */
export interface HealthModel {
  /**
   * Serve `Health/Watch` (public, long-lived) at the edge, counted in `publicBudget`. Off: the
   * gateway answers it UNIMPLEMENTED itself and never holds a backend stream for it.
   * `Health/Check` is always served. @default false
   */
  readonly watch: boolean;
}

/** A gateway-wide token bucket (local_ratelimit), always enforced when present. */
export interface RateLimitModel {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  /** Seconds between fills. */
  readonly fillIntervalSeconds: number;
}

/**
 * DPoP (RFC 9449): access tokens bound to a browser key, a proof per call. jwt_authn
 * accepts the `DPoP` scheme and an ext_authz filter right after it sends every
 * authenticated call to the verifier service of the backend kit (on the upstream, over
 * its mTLS connection) before the request goes on.
 */
export interface DpopModel {
  /**
   * The public origin browsers call (`scheme://host[:port]`): every proof's `htu` must be
   * this origin + the method path. Sent to the verifier from configuration, never taken
   * from request headers. @example "https://api.notes.example.com"
   */
  readonly origin: string;
  /** Also accept unbound Bearer tokens (bound ones are refused as Bearer anyway). @default false */
  readonly allowBearer: boolean;
  /** Longest the verifier may take before the call fails UNAVAILABLE, seconds. @default 1 */
  readonly timeoutSeconds: number;
}

/**
 * Session mode (backend-for-frontend): Envoy's oauth2 filter is a confidential OIDC client that
 * keeps the tokens in encrypted HttpOnly cookies and forwards the access token as a Bearer header
 * to the unchanged jwt_authn, RBAC and router. Browsers never hold a token.
 */
export interface SessionModel {
  /** The only session mode. */
  readonly mode: "bff";
  /** The gateway's client id at the IdP (a confidential client). */
  readonly clientId: string;
  /** File holding the client secret, e.g. a mounted Secret; delivered to Envoy through SDS. */
  readonly clientSecretFile: string;
  /** File holding the key the cookies are signed (HMAC) and encrypted with; through SDS. */
  readonly hmacSecretFile: string;
  /** The gateway's own public origin: the callback, sign-in and sign-out URLs live on it. @example "https://api.notes.example.com" */
  readonly gatewayOrigin: string;
  /** Where the browser lands after sign-in and sign-out (the app). @example "https://notes.example.com/" */
  readonly appUrl: string;
  /** The IdP's authorization endpoint (https). */
  readonly authorizationEndpoint: string;
  /** The IdP's token endpoint (https; its certificate verified with `jwt.jwksCa`, like the JWKS). */
  readonly tokenEndpoint: string;
  /** The IdP's end-session endpoint; sign-out ends the IdP session there too. Undefined: local sign-out only. */
  readonly endSessionEndpoint: string | undefined;
  /** Requested scopes. @default ["openid", "offline_access"] */
  readonly scopes: readonly string[];
  /** RFC 8707 resource indicators sent on the authorization request. @default [] */
  readonly resources: readonly string[];
  /** SameSite of the token cookies. @default "Lax" */
  readonly sameSite: "Strict" | "Lax";
  /** Lifetime of the refresh-token cookie when the IdP's refresh token carries no `exp`, seconds. @default 43200 */
  readonly refreshTokenLifetimeSeconds: number;
  /**
   * Same-origin deployment: the gateway also serves the single-page app, from this upstream, on
   * `gatewayOrigin` (so `appUrl` is on it). Navigations and other GET/HEAD requests that are not
   * RPCs go there once the oauth2 filter has a session (a navigation without one is redirected
   * to the IdP). Undefined: the app is served from another origin and calls with CORS.
   */
  readonly app?: SessionAppModel | undefined;
}

/** The upstream that serves the single-page app's files in a same-origin deployment (TLS, verified). */
export interface SessionAppModel {
  /** Host name or IP of the static file server. @example "notes-web.notes.svc.cluster.local" */
  readonly address: string;
  readonly port: number;
  /** CA that signs its certificate (through SDS). */
  readonly ca: string;
  /** DNS subject alternative name its certificate must carry. @default `address` */
  readonly san: string;
  /** SNI sent to it. @default `address` (required when the address is an IP) */
  readonly sni: string;
  /** @default 5 */
  readonly connectTimeoutSeconds: number;
}

/** The whole gateway. */
export interface GatewayModel {
  /** Node id and stat prefix. @default "grpc-web-oidc-gateway" */
  readonly name: string;
  readonly listener: ListenerModel;
  readonly admin: AdminModel;
  /** Undefined: no probe listener. */
  readonly probe: ProbeModel | undefined;
  readonly cors: CorsModel;
  readonly jwt: JwtModel;
  readonly upstream: UpstreamModel;
  readonly sds: SdsModel;
  readonly limits: LimitsModel;
  readonly health: HealthModel;
  /** Undefined: no rate limit filter. */
  readonly rateLimit: RateLimitModel | undefined;
  /** Undefined: Bearer tokens only, no DPoP. */
  readonly dpop?: DpopModel | undefined;
  /** Undefined: token mode (the browser sends the Bearer token); set: session mode. */
  readonly session?: SessionModel | undefined;
}
