/** Full names of the Envoy messages the lint, the cross-reference checks and the comparisons look up. */
export const T = {
  listener: "envoy.config.listener.v3.Listener",
  cluster: "envoy.config.cluster.v3.Cluster",
  admin: "envoy.config.bootstrap.v3.Admin",
  hcm: "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  downstreamTls: "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  upstreamTls: "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
  jwt: "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
  jwtProvider: "envoy.extensions.filters.http.jwt_authn.v3.JwtProvider",
  jwtRequirement: "envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement",
  rbac: "envoy.extensions.filters.http.rbac.v3.RBAC",
  rbacPerRoute: "envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
  corsPolicy: "envoy.extensions.filters.http.cors.v3.CorsPolicy",
  routeCorsPolicy: "envoy.config.route.v3.CorsPolicy",
  localRateLimit: "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
  virtualHost: "envoy.config.route.v3.VirtualHost",
  route: "envoy.config.route.v3.Route",
  permission: "envoy.config.rbac.v3.Permission",
  extAuthz: "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
  oauth2Config: "envoy.extensions.filters.http.oauth2.v3.OAuth2Config",
} as const;

/** HTTP filters by the `@type` of their config (names are free text; types are not). */
export const FILTER_TYPES = {
  cors: "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors",
  csrf: "type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy",
  oauth2: "type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2",
  jwt: `type.googleapis.com/${T.jwt}`,
  rbac: `type.googleapis.com/${T.rbac}`,
  grpcWeb: "type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  extAuthz: `type.googleapis.com/${T.extAuthz}`,
} as const;
