/**
 * Builds the static v3 Bootstrap (and the SDS secret resources it points at)
 * from a GatewayModel and an access policy, as plain objects in proto3 JSON
 * field names. Current, non-deprecated fields only.
 */

import { posix } from "node:path";
import type { TrafficClass } from "../../access/index.js";
import { type AccessPolicy, HEALTH_SERVICE } from "../../access/outline.js";
import { corsHeaders } from "../../common/cors-headers.js";
import { UNKNOWN_METHOD_MESSAGE } from "../../server/unknown-method.js";
import {
  filterChainBounds,
  overloadManager,
  probeListenerBounds,
  publicListenerFilters,
} from "./bounds.js";
import { CLASS_CLUSTERS, classRoutes, classThresholds, routeAction } from "./budgets.js";
import { EXT_AUTHZ_FILTER, extAuthzDisabled, extAuthzVirtualHostConfig } from "./dpop.js";
import { CORS_FILTER, GRPC_STATUS_METADATA, httpFilters } from "./filters.js";
import { httpsHostPort } from "./host-port.js";
import { type JsonObject, seconds, typed } from "./json.js";
import { grpcLocalReplyConfig } from "./local-replies.js";
import type { GatewayModel, ProbeModel } from "./model.js";
import { JWT_FILTER, RBAC_FILTER } from "./rbac.js";
import { jwksHealthChecks, readyClusters } from "./readiness.js";
import {
  APP_CLUSTER,
  appRoute,
  csrfOffForRoute,
  OAUTH_TOKEN_CLUSTER,
  PREFLIGHT_HEADER,
  RPC_ROUTE_HEADERS,
  SESSION_SDS_FILES,
  sessionRoutes,
  sessionSdsSecrets,
} from "./session.js";
import { TOKEN_CHECK_FILTER, TOKEN_FILTER } from "./token-acceptance.js";

/** Cluster names in the generated config (the backend has one per traffic class, budgets.ts). */
export const BACKEND_CLUSTER = CLASS_CLUSTERS.unary;
export const JWKS_CLUSTER = "jwks";

/** SDS secrets: resource name → file name inside `sds.dir`. */
export const SDS_SECRETS = {
  server_cert: "server-cert.yaml",
  upstream_client_cert: "upstream-client-cert.yaml",
  upstream_ca: "upstream-ca.yaml",
  jwks_ca: "jwks-ca.yaml",
  /** Session mode, same-origin: the CA of the app's static file server. */
  app_ca: "app-ca.yaml",
} as const;
export type SdsSecretName = keyof typeof SDS_SECRETS;

const TLS = "envoy.transport_sockets.tls";
const TLS_TYPES = "envoy.extensions.transport_sockets.tls.v3";
const TLS_PARAMS = {
  tls_minimum_protocol_version: "TLSv1_2",
  tls_maximum_protocol_version: "TLSv1_3",
};

/** The Bootstrap for `model`, with RBAC and routes from `policy`. */
export function buildBootstrap(model: GatewayModel, policy: AccessPolicy): JsonObject {
  const listeners: JsonObject[] = [httpsListener(model, policy)];
  if (model.probe) listeners.push(probeListener(model, model.probe));
  return {
    node: { id: model.name, cluster: model.name },
    admin: {
      address: { socket_address: { address: model.admin.address, port_value: model.admin.port } },
      // Loopback only; outside the cap so an operator can still look while a flood fills it.
      ignore_global_conn_limit: true,
    },
    static_resources: {
      listeners,
      clusters: [
        backendCluster(model, "unary"),
        backendCluster(model, "streaming"),
        backendCluster(model, "public"),
        jwksCluster(model),
        ...(model.session ? [tokenCluster(model)] : []),
        ...(model.session?.app ? [appCluster(model)] : []),
      ],
    },
    overload_manager: overloadManager(model),
  };
}

/** The SDS files: file name → one `Secret` resource each (a DiscoveryResponse-shaped document). */
export function buildSdsResources(model: GatewayModel): Record<string, JsonObject> {
  const secret = (name: SdsSecretName, body: JsonObject): [string, JsonObject] => [
    SDS_SECRETS[name],
    { resources: [typed(`${TLS_TYPES}.Secret`, { name, ...body })] },
  ];
  const cert = (c: { certificate: string; key: string }): JsonObject => ({
    tls_certificate: {
      certificate_chain: { filename: c.certificate },
      private_key: { filename: c.key },
      // cert-manager / kubelet swap the `..data` symlink in this folder: a move here reloads.
      watched_directory: { path: posix.dirname(c.certificate) },
    },
  });
  const ca = (file: string): JsonObject => ({
    validation_context: {
      trusted_ca: { filename: file },
      watched_directory: { path: posix.dirname(file) },
    },
  });
  const session = model.session
    ? Object.entries(sessionSdsSecrets(model.session)).map(([name, body]): [string, JsonObject] => [
        SESSION_SDS_FILES[name as keyof typeof SESSION_SDS_FILES],
        { resources: [typed(`${TLS_TYPES}.Secret`, { name, ...body })] },
      ])
    : [];
  return Object.fromEntries([
    secret("server_cert", cert(model.listener.tls)),
    secret("upstream_client_cert", cert(model.upstream.clientCertificate)),
    secret("upstream_ca", ca(model.upstream.ca)),
    secret("jwks_ca", ca(model.jwt.jwksCa)),
    ...(model.session?.app ? [secret("app_ca", ca(model.session.app.ca))] : []),
    ...session,
  ]);
}

function sdsRef(model: GatewayModel, name: SdsSecretName): JsonObject {
  return {
    name,
    sds_config: {
      path_config_source: {
        path: posix.join(model.sds.dir, SDS_SECRETS[name]),
        watched_directory: { path: model.sds.dir },
      },
      resource_api_version: "V3",
    },
  };
}

function downstreamTls(model: GatewayModel, alpn: readonly string[]): JsonObject {
  return {
    name: TLS,
    typed_config: typed(`${TLS_TYPES}.DownstreamTlsContext`, {
      common_tls_context: {
        tls_params: TLS_PARAMS,
        alpn_protocols: [...alpn],
        tls_certificate_sds_secret_configs: [sdsRef(model, "server_cert")],
      },
    }),
  };
}

/**
 * A TLS listener whose one filter chain is an HTTP connection manager with `hcm`'s fields,
 * after `networkFilters`; `extra` adds listener fields.
 */
function tlsListener(
  model: GatewayModel,
  name: string,
  bind: { address: string; port: number },
  alpn: readonly string[],
  hcm: JsonObject,
  extra: { listener?: JsonObject; networkFilters?: JsonObject[] } = {},
): JsonObject {
  return {
    name,
    address: { socket_address: { address: bind.address, port_value: bind.port } },
    per_connection_buffer_limit_bytes: model.limits.perConnectionBufferBytes,
    ...extra.listener,
    filter_chains: [
      {
        ...filterChainBounds(model),
        transport_socket: downstreamTls(model, alpn),
        filters: [
          ...(extra.networkFilters ?? []),
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: typed(
              "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              hcm,
            ),
          },
        ],
      },
    ],
  };
}

function httpsListener(model: GatewayModel, policy: AccessPolicy): JsonObject {
  const { limits } = model;
  const hcm: JsonObject = {
    stat_prefix: "ingress_https",
    codec_type: "AUTO",
    // Edge hardening (Envoy's edge best practices and the path-normalisation CVEs).
    use_remote_address: true,
    normalize_path: true,
    merge_slashes: true,
    // gRPC method paths never contain escaped slashes; one that does is an attack.
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    // Session mode keeps the port in Host: the oauth2 filter builds the URL it returns to after
    // sign-in from it (and the csrf filter compares Origin with it); vhosts ignore the port instead.
    ...(model.session ? {} : { strip_any_host_port: true }),
    max_request_headers_kb: limits.maxRequestHeadersKb,
    request_headers_timeout: seconds(limits.requestHeadersTimeoutSeconds),
    stream_idle_timeout: seconds(limits.streamIdleTimeoutSeconds),
    common_http_protocol_options: {
      idle_timeout: seconds(limits.connectionIdleTimeoutSeconds),
      headers_with_underscores_action: "REJECT_REQUEST",
    },
    http2_protocol_options: {
      max_concurrent_streams: limits.maxConcurrentStreams,
      initial_stream_window_size: 65536,
      initial_connection_window_size: 1048576,
    },
    access_log: [accessLog()],
    // Refusals read as a gRPC server's, token refusals as the backend's (local-replies.ts).
    local_reply_config: grpcLocalReplyConfig({
      origins: model.cors.allowedOrigins,
      exposeHeaders: corsHeaders({
        connect: model.cors.allowConnectProtocol,
        dpop: model.dpop !== undefined,
      }).exposed.join(", "),
      credentials: model.session !== undefined,
    }),
    route_config: routeConfig(model, policy),
    http_filters: httpFilters({
      model,
      policy,
      jwksCluster: JWKS_CLUSTER,
      backendCluster: BACKEND_CLUSTER,
    }),
  };
  const listenerFilters = publicListenerFilters(model);
  return tlsListener(model, "https", model.listener, ["h2", "http/1.1"], hcm, {
    ...(listenerFilters.length > 0 ? { listener: { listener_filters: listenerFilters } } : {}),
  });
}

/** Stdout JSON access log. Never logs the authorization header, and logs paths without the query. */
function accessLog(): JsonObject {
  return {
    name: "envoy.access_loggers.stdout",
    typed_config: typed("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", {
      log_format: {
        json_format: {
          time: "%START_TIME%",
          method: "%REQ(:METHOD)%",
          path: "%REQ_WITHOUT_QUERY(:PATH)%",
          protocol: "%PROTOCOL%",
          status: "%RESPONSE_CODE%",
          // The status the client reads, as a number: the backend's (headers or trailers, kept
          // by the Lua filter) or else the gateway's own reply. Plain %GRPC_STATUS% would read
          // "Unknown" for every successful gRPC-Web call: grpc_web empties the trailers map.
          grpc_status: `%COALESCE(${JSON.stringify({
            operators: [
              {
                command: "DYNAMIC_METADATA",
                param: `${GRPC_STATUS_METADATA.namespace}:${GRPC_STATUS_METADATA.key}`,
              },
              "GRPC_STATUS_NUMBER",
            ],
          })})%`,
          flags: "%RESPONSE_FLAGS%",
          details: "%RESPONSE_CODE_DETAILS%",
          duration_ms: "%DURATION%",
          upstream: "%UPSTREAM_HOST%",
          client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
          origin: "%REQ(ORIGIN)%",
          request_id: "%REQ(X-REQUEST-ID)%",
        },
        formatters: [
          {
            name: "envoy.formatter.req_without_query",
            typed_config: typed("envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery"),
          },
        ],
      },
    }),
  };
}

/**
 * The last route: a path that names no method of the protos is answered by Envoy itself as a
 * gRPC server answers it, UNIMPLEMENTED "unknown method" (a local 404 to a gRPC request leaves
 * as HTTP 200 with grpc-status 12, trailers-only), never forwarded. The token and access
 * filters are off for it, as a gRPC server routes before any interceptor: the reply says
 * nothing a caller could not read from the protos, and it can reach nothing. Default deny is
 * unchanged, since this route has no upstream; a method of the protos without an access
 * option keeps its route and is still PERMISSION_DENIED by RBAC.
 */
function unknownMethodRoute(model: GatewayModel): JsonObject {
  const off = typed("envoy.extensions.filters.http.rbac.v3.RBACPerRoute", {});
  return {
    match: { prefix: "/" },
    direct_response: { status: 404, body: { inline_string: UNKNOWN_METHOD_MESSAGE } },
    typed_per_filter_config: {
      // Session mode's csrf filter stays on: a cross-site form is refused as before.
      ...(model.dpop ? { [EXT_AUTHZ_FILTER]: extAuthzDisabled() } : {}),
      [JWT_FILTER]: typed("envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig", {
        disabled: true,
      }),
      [TOKEN_CHECK_FILTER]: off,
      [TOKEN_FILTER]: off,
      [RBAC_FILTER]: off,
    },
  };
}

function routeConfig(model: GatewayModel, policy: AccessPolicy): JsonObject {
  const cors = corsHeaders({
    connect: model.cors.allowConnectProtocol,
    dpop: model.dpop !== undefined,
  });
  // Session mode: cookies ride along on any request to this host, so an RPC route also requires
  // what only a gRPC-Web call (same-origin, or after a passed CORS preflight) can send.
  const rpcHeaders: JsonObject = model.session ? { headers: [...RPC_ROUTE_HEADERS] } : {};
  // Public: no token, so no proof (DPoP); no cookie needed, and probes send no Origin (csrf).
  const publicRouteExtra: JsonObject =
    model.dpop || model.session
      ? {
          typed_per_filter_config: {
            ...(model.dpop ? { [EXT_AUTHZ_FILTER]: extAuthzDisabled() } : {}),
            ...(model.session ? csrfOffForRoute() : {}),
          },
        }
      : {};
  const services = [...new Set(policy.methods.map((m) => m.service))].filter(
    (s) => s !== HEALTH_SERVICE,
  );
  const routes: JsonObject[] = [
    ...(model.session ? sessionRoutes(model) : []),
    // Session mode: a CORS preflight matches no RPC route (it is an OPTIONS without the gRPC-Web
    // headers), and without a route the cors filter has no policy to answer it with.
    ...(model.session
      ? services.map((s) => ({
          match: { prefix: `/${s}/`, headers: [PREFLIGHT_HEADER] },
          route: routeAction(model, "unary"),
        }))
      : []),
    ...classRoutes(model, policy, { publicRouteExtra, rpcMatch: rpcHeaders }),
    // Same-origin session mode: everything else a browser GETs is the app's (last: RPCs first).
    ...(model.session?.app ? [appRoute(model)] : []),
  ];
  // A browser preflights a call to an unknown method too, and the cors filter answers only on
  // a route that forwards: this one takes the OPTIONS that no route above took. The cors filter
  // answers every preflight itself (forward_not_matching_preflights: false), and any other
  // OPTIONS meets jwt_authn and RBAC, which deny a path without a policy: nothing reaches the
  // backend through it.
  routes.push(
    { match: { prefix: "/", headers: [PREFLIGHT_HEADER] }, route: routeAction(model, "unary") },
    // Last: what no route above took names no proto method (RPCs, app files and preflights first).
    unknownMethodRoute(model),
  );
  return {
    name: "grpc_web",
    ...(model.session ? { ignore_port_in_host_matching: true } : {}),
    virtual_hosts: [
      {
        name: "api",
        domains: [...model.listener.hostnames],
        routes,
        typed_per_filter_config: {
          ...(model.dpop ? { [EXT_AUTHZ_FILTER]: extAuthzVirtualHostConfig(model.dpop) } : {}),
          [CORS_FILTER]: typed("envoy.extensions.filters.http.cors.v3.CorsPolicy", {
            allow_origin_string_match: model.cors.allowedOrigins.map((exact) => ({ exact })),
            allow_methods: "POST, OPTIONS",
            // Session mode: the browser holds no token, so it never sends `authorization`.
            allow_headers: cors.allowed
              .filter((h) => !(model.session && h === "authorization"))
              .join(", "),
            expose_headers: cors.exposed.join(", "),
            max_age: String(model.cors.maxAgeSeconds),
            // Session mode: cross-origin calls carry the session cookies (exact origins only).
            allow_credentials: model.session !== undefined,
            forward_not_matching_preflights: false,
          }),
        },
      },
    ],
  };
}

/** TLS listener for Kubernetes probes: `/ready` (503 unless the backend passes gRPC health checks), `/livez`. */
function probeListener(model: GatewayModel, probe: ProbeModel): JsonObject {
  const bounds = probeListenerBounds(probe);
  const hcm: JsonObject = {
    stat_prefix: "probe",
    // kubelet speaks HTTP/1.1; no HTTP/2 means no streams to multiply per connection.
    codec_type: "HTTP1",
    use_remote_address: true,
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    request_headers_timeout: "5s",
    common_http_protocol_options: {
      idle_timeout: bounds.idleTimeout,
      headers_with_underscores_action: "REJECT_REQUEST",
    },
    route_config: {
      name: "probe",
      virtual_hosts: [
        {
          name: "probe",
          domains: ["*"],
          routes: [
            {
              match: { path: "/livez" },
              direct_response: { status: 200, body: { inline_string: "live\n" } },
            },
            { match: { prefix: "/" }, direct_response: { status: 404 } },
          ],
        },
      ],
    },
    http_filters: [
      {
        name: "envoy.filters.http.health_check",
        typed_config: typed("envoy.extensions.filters.http.health_check.v3.HealthCheck", {
          pass_through_mode: false,
          headers: [{ name: ":path", string_match: { exact: "/ready" } }],
          cluster_min_healthy_percentages: readyClusters(BACKEND_CLUSTER, JWKS_CLUSTER),
        }),
      },
      {
        name: "envoy.filters.http.router",
        typed_config: typed("envoy.extensions.filters.http.router.v3.Router"),
      },
    ],
  };
  return tlsListener(model, "probe", probe, ["http/1.1"], hcm, bounds);
}

function endpoint(name: string, address: string, port: number): JsonObject {
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address, port_value: port } } } },
        ],
      },
    ],
  };
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/** The backend as seen by one traffic class: same host and TLS, own pool and circuit breaker. */
function backendCluster(model: GatewayModel, cls: TrafficClass): JsonObject {
  const up = model.upstream;
  const sanType = up.san.includes("://") ? "URI" : "DNS";
  const name = CLASS_CLUSTERS[cls];
  return {
    name,
    type: isIpAddress(up.address) ? "STATIC" : "STRICT_DNS",
    ...(isIpAddress(up.address) ? {} : { dns_lookup_family: "V4_PREFERRED" }),
    connect_timeout: seconds(up.connectTimeoutSeconds),
    per_connection_buffer_limit_bytes: model.limits.perConnectionBufferBytes,
    load_assignment: endpoint(name, up.address, up.port),
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        {
          explicit_http_config: {
            http2_protocol_options: { max_concurrent_streams: model.limits.maxConcurrentStreams },
          },
          common_http_protocol_options: { idle_timeout: "300s" },
        },
      ),
    },
    transport_socket: {
      name: TLS,
      typed_config: typed(`${TLS_TYPES}.UpstreamTlsContext`, {
        sni: up.sni,
        common_tls_context: {
          tls_params: TLS_PARAMS,
          // grpc-go >= 1.67 refuses TLS connections without ALPN h2.
          alpn_protocols: ["h2"],
          tls_certificate_sds_secret_configs: [sdsRef(model, "upstream_client_cert")],
          combined_validation_context: {
            default_validation_context: {
              match_typed_subject_alt_names: [{ san_type: sanType, matcher: { exact: up.san } }],
            },
            validation_context_sds_secret_config: sdsRef(model, "upstream_ca"),
          },
        },
      }),
    },
    // One class checks the backend's health for all (same host): /ready reads it.
    ...(cls === "unary"
      ? {
          health_checks: [
            {
              timeout: "2s",
              interval: "5s",
              no_traffic_interval: "5s",
              unhealthy_threshold: 2,
              healthy_threshold: 1,
              grpc_health_check: { authority: up.sni },
            },
          ],
        }
      : {}),
    circuit_breakers: { thresholds: [classThresholds(model, cls)] },
    upstream_connection_options: { tcp_keepalive: {} },
  };
}

function jwksCluster(model: GatewayModel): JsonObject {
  const { host, port } = httpsHostPort(model.jwt.jwksUri);
  const checks = jwksHealthChecks(model);
  return {
    ...idpCluster(model, JWKS_CLUSTER, host, port),
    ...(checks.length > 0 ? { health_checks: checks } : {}),
  };
}

/** Session mode: the IdP's token endpoint (code redemption, refresh), verified like the JWKS. */
function tokenCluster(model: GatewayModel): JsonObject {
  if (!model.session) throw new Error("token cluster without a session model");
  const { host, port } = httpsHostPort(model.session.tokenEndpoint);
  return idpCluster(model, OAUTH_TOKEN_CLUSTER, host, port);
}

/** Same-origin session mode: the app's static file server, over verified TLS. */
function appCluster(model: GatewayModel): JsonObject {
  const app = model.session?.app;
  if (!app) throw new Error("app cluster without session.app");
  const ip = isIpAddress(app.address);
  return {
    name: APP_CLUSTER,
    type: ip ? "STATIC" : "STRICT_DNS",
    ...(ip ? {} : { dns_lookup_family: "V4_PREFERRED" }),
    connect_timeout: seconds(app.connectTimeoutSeconds),
    per_connection_buffer_limit_bytes: model.limits.perConnectionBufferBytes,
    load_assignment: endpoint(APP_CLUSTER, app.address, app.port),
    transport_socket: {
      name: TLS,
      typed_config: typed(`${TLS_TYPES}.UpstreamTlsContext`, {
        sni: app.sni,
        common_tls_context: {
          tls_params: TLS_PARAMS,
          combined_validation_context: {
            default_validation_context: {
              match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: app.san } }],
            },
            validation_context_sds_secret_config: sdsRef(model, "app_ca"),
          },
        },
      }),
    },
    circuit_breakers: {
      thresholds: [
        {
          priority: "DEFAULT",
          max_connections: model.limits.circuitBreaker.maxConnections,
          max_pending_requests: model.limits.circuitBreaker.maxPendingRequests,
          max_requests: model.limits.circuitBreaker.maxRequests,
        },
      ],
    },
  };
}

/** A TLS cluster to the IdP, its certificate verified against `jwks_ca` (SAN = host) with SNI. */
function idpCluster(model: GatewayModel, name: string, host: string, port: number): JsonObject {
  const ip = isIpAddress(host);
  return {
    name,
    type: ip ? "STATIC" : "LOGICAL_DNS",
    ...(ip ? {} : { dns_lookup_family: "V4_PREFERRED" }),
    connect_timeout: "5s",
    load_assignment: endpoint(name, host, port),
    transport_socket: {
      name: TLS,
      typed_config: typed(`${TLS_TYPES}.UpstreamTlsContext`, {
        ...(ip ? {} : { sni: host }),
        common_tls_context: {
          tls_params: TLS_PARAMS,
          combined_validation_context: {
            default_validation_context: {
              match_typed_subject_alt_names: [
                { san_type: ip ? "IP_ADDRESS" : "DNS", matcher: { exact: host } },
              ],
            },
            validation_context_sds_secret_config: sdsRef(model, "jwks_ca"),
          },
        },
      }),
    },
  };
}
