/**
 * The demo backend: NotesService + grpc.health.v1 on two listeners.
 *
 * 1. mTLS (production path, what Envoy talks to): gRPC over HTTP/2 only, TLS 1.2+,
 *    ALPN h2, client certificate required and verified against the mesh CA, and its
 *    identity (URI SAN, DNS SAN, else CN) on `allowedPeers`.
 * 2. gRPC-Web dev listener (DEVELOPMENT ONLY, the path without Envoy): gRPC-Web (binary
 *    and text, as Google's grpc-web runtime sends by default), gRPC and Connect over TLS
 *    (h2 and http/1.1) with CORS for `allowedOrigins`.
 *
 * Both run the same interceptors: authentication (JWT against the IdP's JWKS) then
 * authorization (the proto's access options). Certificates reload on file change.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createSecureServer, type Http2Session, type SecureServerOptions } from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  type AccessPolicy,
  buildAccessPolicy,
  type ClaimSettings,
} from "../../src/access/index.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import {
  Authorization,
  createAccessInterceptor,
  createAuthnInterceptor,
  createDpopAuthzService,
  createDpopNonces,
  createHealthService,
  createJwtVerifier,
  createNodeAdapter,
  createPeerAllowList,
  createReloadingTls,
  createRequestContext,
  createStreamLifetimeInterceptor,
  createStreamLimitInterceptor,
  type DenialRecord,
  enforcePeerAllowList,
  type HealthService,
  jwtVerifierOptions,
  limitRequestHeaders,
  logRefusedHandshakes,
  MTLS_SERVER_OPTIONS,
  type NodeHandler,
  type ReloadingTls,
  requireAllowedPeer,
  ServingStatus,
  serveWhenKeysLoaded,
  type VerifiedTokenCacheOptions,
  withCors,
} from "../../src/server/index.js";
import { NotesService } from "../gen/demo/v1/notes_pb.js";
import { DEMO_API_AUDIENCE, demoClaimSettings } from "../oidc-client.js";
import { type DevPki, GATEWAY_SPIFFE } from "../pki.js";
import { type DeferredDpopVerifier, deferredDpopVerifier } from "./dpop.js";
import { createNotesService } from "./notes-service.js";

/** The API audience the demo IdP puts in access tokens. */
export const API_AUDIENCE = DEMO_API_AUDIENCE;

/** Per-message and header limits of both listeners. */
export const LIMITS = {
  /** Largest request message, bytes. */
  readMaxBytes: 64 * 1024,
  /** Largest response message, bytes. */
  writeMaxBytes: 4 * 1024 * 1024,
  /** Largest header list (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE), bytes. */
  maxHeaderListSize: 32 * 1024,
  /** Concurrent streams per HTTP/2 connection. */
  maxConcurrentStreams: 100,
  /** Longest client deadline accepted, ms (a longer `grpc-timeout` is INVALID_ARGUMENT). */
  maxTimeoutMs: 15 * 60_000,
  /** Idle HTTP/2 sessions are closed after this many ms. */
  idleTimeoutMs: 5 * 60_000,
  /** TLS handshakes must finish within this many ms. */
  handshakeTimeoutMs: 10_000,
} as const;

export interface BackendOptions {
  /** Development PKI (`ensureDevPki()`): mesh CA + backend cert for mTLS, localhost cert for the dev listener. */
  pki: DevPki;
  /** Expected token issuer. Example: `idp.issuer`. */
  issuer: string;
  /**
   * The IdP's JWKS URL (https, trusted via `pki.ca`).
   * @default discovered from the issuer, retried with backoff while the IdP is down
   */
  jwksUri?: string;
  /** Expected token audience. @default API_AUDIENCE */
  audience?: string;
  /**
   * How access tokens are recognised and read (issuer, audiences, `typ`, scope and roles
   * claims, required claims, clock skew): the same settings the gateway is generated from.
   * When set, `issuer`, `audience`, `tokenType` and `clockToleranceSeconds` are ignored.
   * @default demoClaimSettings(issuer) with the other options applied
   * @example { issuer, audiences: ["notes-api"], rolesClaim: "realm_access.roles", requiredClaims: { typ: "Bearer" } }
   */
  claims?: ClaimSettings;
  /** mTLS gRPC port. @default 0 (ephemeral) */
  mtlsPort?: number;
  /** gRPC-Web development port. @default 0 (ephemeral) */
  webPort?: number;
  /** Address both listeners bind to. @default "127.0.0.1" */
  host?: string;
  /** Origins allowed to call the dev listener (CORS). Example: `["https://localhost:5173"]`. */
  allowedOrigins: string[];
  /** Peer identities admitted on the mTLS listener. @default [GATEWAY_SPIFFE] */
  allowedPeers?: string[];
  /** Receives every log record (denials, reloads); they are also kept in `Backend.logs`. */
  log?: (record: object) => void;
  /**
   * Required `typ` header of access tokens (RFC 9068), which keeps ID tokens and other
   * JWTs from the same issuer out. `null` disables the check (IdPs that emit `JWT`).
   * @default "at+jwt"
   */
  tokenType?: string | null;
  /** Seconds of clock skew tolerated on exp/nbf. @default 30 */
  clockToleranceSeconds?: number;
  /** Reload certificates when their files change. @default true */
  reloadTls?: boolean;
  /**
   * The verified-token cache of the JWT verifier (`JwtVerifierOptions.cache`); `false`
   * verifies every call. @default on (10,000 tokens, 5 min)
   */
  tokenCache?: VerifiedTokenCacheOptions | false;
  /**
   * UNSAFE: serve every call without authentication or authorization. Only for measuring
   * what they cost (`npm run bench`); never in a deployment. @default false
   */
  unsafeWithoutAuth?: boolean;
  /**
   * Streaming calls one caller (token subject) may hold open at once; more are
   * RESOURCE_EXHAUSTED. The soak raises it: its hundreds of clients share three logins.
   * @default 16
   */
  maxStreamsPerCaller?: number;
  /**
   * Longest life of a server stream, ms: it is ended cleanly (UNAVAILABLE) before the gateway's
   * `maxStreamDuration` (16 min) would reset it. The token is checked once, at the start.
   * @default 900000 (15 min)
   */
  maxStreamMs?: number;
  /** Also end a stream when its access token expires (UNAUTHENTICATED). @default false */
  streamsEndAtTokenExpiry?: boolean;
  /**
   * DPoP (RFC 9449) on both listeners: `Authorization: DPoP <token>` with a proof per
   * call. Proofs on the dev listener name `https://localhost:<webPort>`; proofs on the
   * mTLS listener name the gateway's public origin, given by `setGatewayOrigin`.
   * @default undefined (Bearer only; DPoP-bound tokens are refused as Bearer)
   */
  dpop?: BackendDpopOptions;
}

export interface BackendDpopOptions {
  /** Accept unbound Bearer tokens as well. @default false */
  allowBearer?: boolean;
  /**
   * Secret of the server nonces (32+ bytes, shared with the gateway's verifier); when
   * set, every proof must carry a current nonce. @default undefined (no nonces)
   */
  nonceSecret?: Uint8Array;
}

export interface Backend {
  /** Bound mTLS port. */
  mtlsPort: number;
  /** Bound gRPC-Web dev port. */
  webPort: number;
  /** Every log record so far (the last 5,000). Never contains a token. */
  logs: object[];
  /** Serving status switch of the health service. */
  health: HealthService;
  /** The access policy in force (from the proto). */
  policy: AccessPolicy;
  /** Re-reads certificate files now (what the file watcher does on change). */
  reloadTls(): void;
  /**
   * The gateway's public origin (`https://host[:port]`): the `htu` origin of DPoP proofs
   * arriving on the mTLS listener. Until set, DPoP calls there are refused.
   */
  setGatewayOrigin(origin: string): void;
  /** Stops both listeners, ending open streams. */
  close(): Promise<void>;
}

const MAX_LOGS = 5000;

/** The claim settings the older single options describe (demo IdP defaults otherwise). */
function legacyClaims(o: BackendOptions): ClaimSettings {
  const demo = demoClaimSettings(o.issuer);
  const { tokenType: _typ, ...rest } = demo;
  return {
    ...rest,
    audiences: [o.audience ?? API_AUDIENCE],
    ...(o.tokenType === null ? {} : { tokenType: o.tokenType ?? demo.tokenType }),
    clockSkewSeconds: o.clockToleranceSeconds ?? demo.clockSkewSeconds,
  };
}

/** Starts both listeners; resolves once they are bound. Throws on a bad policy or options. */
export async function startBackend(o: BackendOptions): Promise<Backend> {
  const logs: object[] = [];
  const log = (record: object) => {
    logs.push(record);
    if (logs.length > MAX_LOGS) logs.splice(0, logs.length - MAX_LOGS);
    try {
      o.log?.(record);
    } catch {
      // A failing sink must not break requests.
    }
  };
  const onDenied = (record: DenialRecord) => log(record);
  const host = o.host ?? "127.0.0.1";

  // Fails startup on an access option that names nothing valid.
  const policy = buildAccessPolicy([NotesService, Health]);
  const verifier = createJwtVerifier({
    ...jwtVerifierOptions(o.claims ?? legacyClaims(o)),
    ...(o.jwksUri ? { jwksUri: o.jwksUri } : {}),
    jwksCa: readFileSync(o.pki.ca.cert),
    ...(o.tokenCache === undefined ? {} : { cache: o.tokenCache }),
  });
  const peers = createPeerAllowList(o.allowedPeers ?? [GATEWAY_SPIFFE]);
  const health = createHealthService({
    initial: { "": ServingStatus.SERVING, [NotesService.typeName]: ServingStatus.SERVING },
  });
  const notes = createNotesService();
  const shutdown = new AbortController();
  // Not serving until the IdP's keys are loaded: a backend that cannot check any token says so
  // (Envoy's /ready follows its health). Retried with backoff; logged once each way.
  if (!o.unsafeWithoutAuth) {
    void serveWhenKeysLoaded({
      verifier,
      health,
      services: ["", NotesService.typeName],
      signal: shutdown.signal,
      onWaiting: (attempt, nextInMs) => {
        if (attempt === 1)
          log({ time: new Date().toISOString(), event: "jwks-unavailable", retryInMs: nextInMs });
      },
      onLoaded: (attempts) => {
        if (attempts > 1) log({ time: new Date().toISOString(), event: "jwks-loaded", attempts });
      },
    });
  }
  // One verifier (and replay cache) per listener: a proof names one origin anyway.
  const nonces = o.dpop?.nonceSecret ? createDpopNonces({ secret: o.dpop.nonceSecret }) : undefined;
  const dpopFor = () => (o.dpop ? deferredDpopVerifier(nonces ? { nonces } : {}) : undefined);
  const webDpop = dpopFor();
  const mtlsDpop = dpopFor();
  const interceptorsWith = (dpop: DeferredDpopVerifier | undefined) =>
    o.unsafeWithoutAuth ? [] : authInterceptors(dpop);
  const authInterceptors = (dpop: DeferredDpopVerifier | undefined) => [
    createAuthnInterceptor({
      verifier,
      policy,
      onDenied,
      ...(dpop
        ? { dpop: { verifier: dpop.verifier, allowBearer: o.dpop?.allowBearer === true } }
        : {}),
    }),
    createAccessInterceptor({ policy, onDenied }),
    createStreamLimitInterceptor({ maxPerCaller: o.maxStreamsPerCaller ?? 16, onDenied }),
    createStreamLifetimeInterceptor({
      maxStreamMs: o.maxStreamMs ?? LIMITS.maxTimeoutMs,
      endAtTokenExpiry: o.streamsEndAtTokenExpiry === true,
      clockToleranceSeconds: o.clockToleranceSeconds ?? 30,
    }),
  ];
  const routes = (router: ConnectRouter) => {
    router.service(NotesService, notes);
    router.service(Health, health.implementation);
  };
  const common = {
    routes,
    readMaxBytes: LIMITS.readMaxBytes,
    writeMaxBytes: LIMITS.writeMaxBytes,
    maxTimeoutMs: LIMITS.maxTimeoutMs,
    shutdownSignal: shutdown.signal,
  };
  const http2Limits: SecureServerOptions = {
    settings: {
      maxHeaderListSize: LIMITS.maxHeaderListSize,
      maxConcurrentStreams: LIMITS.maxConcurrentStreams,
    },
    maxSessionMemory: 10,
    handshakeTimeout: LIMITS.handshakeTimeoutMs,
  };
  const tlsContext = { minVersion: "TLSv1.2" } as const;
  const limitHeaders = (handler: NodeHandler) =>
    limitRequestHeaders(handler, {
      maxBytes: LIMITS.maxHeaderListSize,
      onRefused: ({ path, bytes }) =>
        log({ time: new Date().toISOString(), event: "headers-too-large", method: path, bytes }),
    });

  const reloaders: ReloadingTls[] = [];
  const reloader = (listener: string, files: { cert: string; key: string; ca?: string }) => {
    const r = createReloadingTls({
      files,
      contextOptions: tlsContext,
      onReload: (info) =>
        log({ time: new Date().toISOString(), event: "tls-reloaded", listener, ...info }),
      onError: (err) =>
        log({
          time: new Date().toISOString(),
          event: "tls-reload-failed",
          listener,
          error: err.message,
        }),
    });
    reloaders.push(r);
    return r;
  };

  // Listener 1: mTLS, gRPC only. With DPoP it also serves the gateway's ext_authz
  // verifier, outside the app's interceptors (Envoy's check carries no token of its own);
  // only allowed peers (the gateway) reach either.
  const mtlsTls = reloader("mtls", {
    cert: o.pki.backend.cert,
    key: o.pki.backend.key,
    ca: o.pki.meshCa.cert,
  });
  const grpcOnly = { grpc: true, grpcWeb: false, connect: false } as const;
  const app = createNodeAdapter({
    ...common,
    interceptors: interceptorsWith(mtlsDpop),
    ...grpcOnly,
    contextValues: createRequestContext({ peers }),
  });
  const authz = o.dpop
    ? createNodeAdapter({
        routes: (router) =>
          router.service(
            Authorization,
            createDpopAuthzService({
              verifier: nonces ? { nonces } : {},
              allowBearer: o.dpop?.allowBearer === true,
              onDenied,
            }),
          ),
        ...grpcOnly,
        readMaxBytes: LIMITS.readMaxBytes,
        shutdownSignal: shutdown.signal,
        contextValues: createRequestContext({ peers }),
      })
    : undefined;
  const mtlsHandler: NodeHandler = (req, res) =>
    authz && req.url?.startsWith(`/${Authorization.typeName}/`) ? authz(req, res) : app(req, res);
  const mtls = createSecureServer(
    { ...http2Limits, ...MTLS_SERVER_OPTIONS, ALPNProtocols: ["h2"], ...mtlsTls.current() },
    requireAllowedPeer(limitHeaders(mtlsHandler), peers),
  );
  enforcePeerAllowList(mtls, { peers, onDenied });
  logRefusedHandshakes(mtls, onDenied);

  // Listener 2: gRPC-Web/gRPC/Connect with CORS. Development only.
  const webTls = reloader("web", { cert: o.pki.localhost.cert, key: o.pki.localhost.key });
  const web = createSecureServer(
    { ...http2Limits, allowHTTP1: true, ALPNProtocols: ["h2", "http/1.1"], ...webTls.current() },
    withCors(
      limitHeaders(
        createNodeAdapter({
          ...common,
          interceptors: interceptorsWith(webDpop),
          contextValues: createRequestContext(),
        }),
      ),
      { allowedOrigins: o.allowedOrigins, dpop: o.dpop !== undefined },
    ),
  );

  const sessions = new Set<Http2Session>();
  for (const server of [mtls, web]) {
    server.setTimeout(LIMITS.idleTimeoutMs);
    server.on("session", (s: Http2Session) => {
      sessions.add(s);
      s.on("error", () => {});
      s.on("close", () => sessions.delete(s));
    });
    server.on("sessionError", () => {});
  }
  mtlsTls.attach(mtls);
  webTls.attach(web);
  // Without file watching, `Backend.reloadTls()` still applies changes on demand.
  if (o.reloadTls === false) for (const r of reloaders) r.close();

  try {
    await once(mtls.listen(o.mtlsPort ?? 0, host), "listening");
    await once(web.listen(o.webPort ?? 0, host), "listening");
  } catch (err) {
    for (const r of reloaders) r.close();
    mtls.close();
    web.close();
    throw err;
  }

  const webPort = (web.address() as AddressInfo).port;
  webDpop?.setOrigin(`https://localhost:${webPort}`);

  let closed: Promise<void> | undefined;
  return {
    mtlsPort: (mtls.address() as AddressInfo).port,
    webPort,
    logs,
    health,
    policy,
    reloadTls() {
      for (const r of reloaders) r.reload();
    },
    setGatewayOrigin(origin) {
      mtlsDpop?.setOrigin(origin);
    },
    close() {
      closed ??= (async () => {
        health.shutdown();
        shutdown.abort();
        for (const r of reloaders) r.close();
        const done = Promise.all([mtls, web].map((s) => new Promise((res) => s.close(res))));
        for (const s of sessions) s.close();
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, 2000);
        await done;
        clearTimeout(timer);
      })();
      return closed;
    },
  };
}
