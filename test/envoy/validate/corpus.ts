import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Document, isMap, isScalar, isSeq, parseDocument } from "yaml";

/** The fixture directory (good.yaml, dummy SDS files and certificates). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
export const GOOD_FILE = join(FIXTURES, "good.yaml");
export const GOOD = readFileSync(GOOD_FILE, "utf8");

/** schema: decoding; pgv: validate.rules; xref: cross-references and files; lint: security rules. */
export type CaseKind = "schema" | "pgv" | "xref" | "lint";

/** A broken variant of the good fixture. */
export interface CorpusCase {
  readonly name: string;
  readonly kind: CaseKind;
  /** Edits the parsed good fixture (or, with `text`, replaces the text). */
  readonly mutate?: (doc: Document) => void;
  readonly text?: (good: string) => string;
  /** The rule id that must be reported. */
  readonly rule: string;
  /**
   * Where the finding must point: the first occurrence of `find` in the
   * variant's text (after the first occurrence of `after`, when given).
   */
  readonly find: string;
  readonly after?: string;
  /** The finding is a warning: the config stays valid. */
  readonly warning?: boolean;
}

type P = (string | number)[];
const L: P = ["static_resources", "listeners", 0];
const CHAIN: P = [...L, "filter_chains", 0];
const DTLS: P = [...CHAIN, "transport_socket", "typed_config"];
const HCM: P = [...CHAIN, "filters", 0, "typed_config"];
const F: P = [...HCM, "http_filters"];
const RL: P = [...F, 1, "typed_config"];
const JWT: P = [...F, 2, "typed_config"];
const PROVIDER: P = [...JWT, "providers", "oidc"];
const RBAC: P = [...F, 3, "typed_config"];
const POLICIES: P = [...RBAC, "rules", "policies"];
const VH: P = [...HCM, "route_config", "virtual_hosts", 0];
const CORS: P = [...VH, "typed_per_filter_config", "envoy.filters.http.cors"];
const ROUTES: P = [...VH, "routes"];
const BACKEND: P = ["static_resources", "clusters", 0];
const UTLS: P = [...BACKEND, "transport_socket", "typed_config"];
const IDP: P = ["static_resources", "clusters", 1];
const IDP_TLS: P = [...IDP, "transport_socket", "typed_config"];

/** An ext_authz filter calling the fixture's backend cluster. */
const EXT_AUTHZ = (failOpen: boolean) => ({
  name: "envoy.filters.http.ext_authz",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
    grpc_service: { envoy_grpc: { cluster_name: "backend" }, timeout: "1s" },
    transport_api_version: "V3",
    failure_mode_allow: failOpen,
  },
});
/** Inserts an HTTP filter at `index` of the fixture's chain. */
const insertFilter =
  (index: number, filter: object) =>
  (doc: Document): void => {
    (doc.getIn(F) as { items: unknown[] }).items.splice(index, 0, doc.createNode(filter));
  };
const set =
  (path: P, value: unknown) =>
  (doc: Document): void => {
    doc.setIn(path, doc.createNode(value));
  };
const del =
  (...paths: P[]) =>
  (doc: Document): void => {
    for (const p of paths) doc.deleteIn(p);
  };
const all =
  (...fs: ((d: Document) => void)[]) =>
  (doc: Document): void => {
    for (const f of fs) f(doc);
  };

/** Session mode's csrf and oauth2 filters (token endpoint on the fixture's idp cluster). */
const CSRF = (numerator: number) => ({
  name: "envoy.filters.http.csrf",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy",
    filter_enabled: { default_value: { numerator } },
  },
});
const OAUTH2 = (edit: (config: Record<string, unknown>) => void = () => {}) => {
  const lax = { same_site: "LAX" };
  const config: Record<string, unknown> = {
    token_endpoint: { uri: "https://login.example.com/token", cluster: "idp", timeout: "5s" },
    authorization_endpoint: "https://login.example.com/auth",
    redirect_uri: "https://api.example.com/oauth2/callback",
    redirect_path_matcher: { path: { exact: "/oauth2/callback" } },
    signout_path: { path: { exact: "/oauth2/signout" } },
    forward_bearer_token: true,
    credentials: {
      client_id: "gateway",
      token_secret: { name: "client", sds_config: { path_config_source: { path: "client.yaml" } } },
      hmac_secret: { name: "hmac", sds_config: { path_config_source: { path: "hmac.yaml" } } },
    },
    deny_redirect_matcher: [{ name: "x-grpc-web", present_match: true }],
    cookie_configs: {
      bearer_token_cookie_config: lax,
      oauth_hmac_cookie_config: lax,
      oauth_expires_cookie_config: lax,
      id_token_cookie_config: lax,
      refresh_token_cookie_config: lax,
    },
  };
  edit(config);
  return {
    name: "envoy.filters.http.oauth2",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2",
      config,
    },
  };
};
/** Inserts csrf (unless `csrf` is false) and oauth2 before jwt_authn. */
const session =
  (oauth2: object, csrf: object | false = CSRF(100)) =>
  (doc: Document): void => {
    insertFilter(2, oauth2)(doc);
    if (csrf) insertFilter(2, csrf)(doc);
  };

export const CASES: readonly CorpusCase[] = [
  // ── schema: strict proto3 JSON ──────────────────────────────────────────
  {
    name: "unknown-field-hcm",
    kind: "schema",
    rule: "unknown-field",
    mutate: set([...HCM, "stat_prefixx"], "x"),
    find: "stat_prefixx",
  },
  {
    name: "unknown-field-in-any",
    kind: "schema",
    rule: "unknown-field",
    mutate: set([...PROVIDER, "issuerr"], "x"),
    find: "issuerr",
  },
  {
    name: "unknown-field-top",
    kind: "schema",
    rule: "unknown-field",
    mutate: set(["stats_flush"], 5),
    find: "stats_flush",
  },
  {
    name: "wrong-type-port",
    kind: "schema",
    rule: "schema-type",
    mutate: set([...L, "address", "socket_address", "port_value"], "https"),
    find: "https",
    after: "grpc_web",
  },
  {
    name: "wrong-type-list-item",
    kind: "schema",
    rule: "schema-type",
    mutate: set([...VH, "domains"], { any: true }),
    find: "any: true",
    after: "domains",
  },
  {
    name: "wrong-type-list-for-scalar",
    kind: "schema",
    rule: "schema-type",
    mutate: set([...HCM, "stat_prefix"], ["a", "b"]),
    find: "- a",
    after: "stat_prefix",
  },
  {
    name: "single-value-for-list",
    kind: "schema",
    rule: "single-for-list",
    warning: true,
    mutate: set([...VH, "domains"], "*"),
    find: '"*"',
    after: "domains",
  },
  {
    name: "wrong-type-bool",
    kind: "schema",
    rule: "schema-type",
    mutate: set([...HCM, "use_remote_address"], "maybe"),
    find: "maybe",
  },
  {
    name: "wrong-type-mapping",
    kind: "schema",
    rule: "schema-type",
    mutate: set([...HCM, "route_config"], "grpc_web"),
    find: "grpc_web",
    after: "route_config",
  },
  {
    name: "bad-enum",
    kind: "schema",
    rule: "bad-enum",
    mutate: set([...HCM, "codec_type"], "AUTOMATIC"),
    find: "AUTOMATIC",
  },
  {
    name: "bad-enum-in-any",
    kind: "schema",
    rule: "bad-enum",
    mutate: set([...RBAC, "rules", "action"], "PERMIT"),
    find: "PERMIT",
  },
  {
    name: "bad-duration-unit",
    kind: "schema",
    rule: "bad-duration",
    mutate: set([...BACKEND, "connect_timeout"], "5m"),
    find: "5m",
  },
  {
    name: "bad-duration-number",
    kind: "schema",
    rule: "bad-duration",
    mutate: set([...PROVIDER, "remote_jwks", "cache_duration"], 300),
    find: "300",
    after: "cache_duration",
  },
  {
    name: "bad-type-url-filter",
    kind: "schema",
    rule: "bad-type-url",
    mutate: set(
      [...F, 5, "typed_config", "@type"],
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr",
    ),
    find: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr",
  },
  {
    name: "bad-type-url-per-filter",
    kind: "schema",
    rule: "bad-type-url",
    mutate: set(
      [...CORS, "@type"],
      "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicyy",
    ),
    find: "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicyy",
  },
  {
    name: "bad-type-url-protocol-options",
    kind: "schema",
    rule: "bad-type-url",
    mutate: set(
      [
        ...BACKEND,
        "typed_extension_protocol_options",
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "@type",
      ],
      "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOption",
    ),
    find: "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOption\n",
  },
  {
    name: "bad-type-url-transport-socket",
    kind: "schema",
    rule: "bad-type-url",
    mutate: set(
      [...DTLS, "@type"],
      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.ServerTlsContext",
    ),
    find: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.ServerTlsContext",
  },
  {
    name: "oneof-two-path-specifiers",
    kind: "schema",
    rule: "oneof-multiple",
    mutate: set([...ROUTES, 2, "match", "path"], "/demo.v1.NotesService/GetNote"),
    find: "path: /demo.v1.NotesService/GetNote",
    after: "prefix: /demo.v1.NotesService/",
  },
  {
    name: "yaml-unclosed-flow",
    kind: "schema",
    rule: "yaml-syntax",
    text: (g) => g.replace("stat_prefix: grpc_web", "stat_prefix: [grpc_web"),
    find: "codec_type",
    after: "stat_prefix: [grpc_web",
  },
  {
    name: "yaml-duplicate-key",
    kind: "schema",
    rule: "duplicate-key",
    warning: true,
    text: (g) =>
      g.replace("codec_type: AUTO", "codec_type: AUTO\n                codec_type: HTTP2"),
    find: "codec_type: HTTP2",
  },
  {
    name: "deprecated-field-warning",
    kind: "schema",
    rule: "deprecated-field",
    warning: true,
    mutate: all(
      del([
        ...IDP_TLS,
        "common_tls_context",
        "validation_context",
        "match_typed_subject_alt_names",
      ]),
      set(
        [...IDP_TLS, "common_tls_context", "validation_context", "match_subject_alt_names"],
        [{ exact: "idp.fixture.test" }],
      ),
    ),
    find: "match_subject_alt_names",
  },
  {
    name: "overlay-sourced-metadata-unknown-field",
    kind: "schema",
    rule: "unknown-field",
    mutate: set(
      [...POLICIES, "whoami", "principals", 0, "sourced_metadata", "metadata_sourc"],
      "ROUTE",
    ),
    find: "metadata_sourc",
  },
  {
    name: "overlay-sourced-metadata-bad-enum",
    kind: "schema",
    rule: "bad-enum",
    mutate: set(
      [...POLICIES, "whoami", "principals", 0, "sourced_metadata", "metadata_source"],
      "STATIC",
    ),
    find: "STATIC",
  },
  {
    name: "deprecated-principal-metadata",
    kind: "schema",
    rule: "deprecated-field",
    warning: true,
    mutate: (d) => {
      const m = d.getIn([
        ...POLICIES,
        "whoami",
        "principals",
        0,
        "sourced_metadata",
        "metadata_matcher",
      ]);
      d.setIn(
        [...POLICIES, "whoami", "principals", 0],
        d.createNode({ metadata: (m as { toJSON(): unknown }).toJSON() }),
      );
    },
    find: "metadata",
    after:
      "whoami:\n                            permissions:\n                              - url_path: { path: { exact: /demo.v1.NotesService/WhoAmI } }\n                            principals:\n                              - ",
  },

  // ── pgv: validate.rules ─────────────────────────────────────────────────
  {
    name: "pgv-stat-prefix-empty",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set([...HCM, "stat_prefix"], ""),
    find: '""',
    after: "stat_prefix",
  },
  {
    name: "pgv-cluster-name-empty",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set([...ROUTES, 0, "route", "cluster"], ""),
    find: '""',
    after: "Health/Check",
  },
  {
    name: "pgv-header-name",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set([...ROUTES, 2, "request_headers_to_remove"], ["x-a\nb"]),
    find: "|-",
    after: "request_headers_to_remove",
  },
  {
    name: "pgv-path-separated-prefix-pattern",
    kind: "pgv",
    rule: "pgv-string",
    mutate: all(
      del([...ROUTES, 2, "match", "prefix"]),
      set([...ROUTES, 2, "match", "path_separated_prefix"], "/demo/"),
    ),
    find: "/demo/",
  },
  {
    name: "pgv-port-range",
    kind: "pgv",
    rule: "pgv-number",
    mutate: set(
      [
        ...BACKEND,
        "load_assignment",
        "endpoints",
        0,
        "lb_endpoints",
        0,
        "endpoint",
        "address",
        "socket_address",
        "port_value",
      ],
      70000,
    ),
    find: "70000",
  },
  {
    name: "pgv-wrapper-gt",
    kind: "pgv",
    rule: "pgv-number",
    mutate: set([...HCM, "max_request_headers_kb"], 0),
    find: "0",
    after: "max_request_headers_kb: ",
  },
  {
    name: "pgv-enum-defined-only",
    kind: "pgv",
    rule: "pgv-enum",
    mutate: set([...HCM, "codec_type"], 9),
    find: "9",
    after: "codec_type: ",
  },
  {
    name: "pgv-repeated-min-items",
    kind: "pgv",
    rule: "pgv-repeated",
    mutate: set([...VH, "domains"], []),
    find: "[]",
    after: "domains",
  },
  {
    name: "pgv-rbac-principals-min-items",
    kind: "pgv",
    rule: "pgv-repeated",
    mutate: set([...POLICIES, "health", "principals"], []),
    find: "[]",
    after: "health",
  },
  {
    name: "pgv-repeated-unique",
    kind: "pgv",
    rule: "pgv-repeated",
    mutate: set([...ROUTES, 2, "route", "internal_redirect_policy"], {
      response_headers_to_copy: ["x-a", "x-a"],
    }),
    find: "x-a",
    after: "- x-a",
  },
  {
    name: "pgv-duration-gt",
    kind: "pgv",
    rule: "pgv-duration",
    mutate: set([...BACKEND, "connect_timeout"], "0s"),
    find: "0s",
    after: "type: STATIC\n      connect_timeout: ",
  },
  {
    name: "pgv-duration-required",
    kind: "pgv",
    rule: "pgv-duration",
    mutate: del([...BACKEND, "health_checks", 0, "timeout"]),
    find: "interval",
    after: "health_checks",
  },
  {
    name: "pgv-message-required",
    kind: "pgv",
    rule: "pgv-required",
    mutate: del([...BACKEND, "health_checks", 0, "healthy_threshold"]),
    find: "timeout",
    after: "health_checks",
  },
  {
    name: "pgv-oneof-required",
    kind: "pgv",
    rule: "pgv-oneof-required",
    mutate: del([...ROUTES, 0, "route"]),
    find: "match",
    after: "routes:",
  },
  {
    name: "pgv-any-required",
    kind: "pgv",
    rule: "pgv-any",
    mutate: set(
      [...HCM, "original_ip_detection_extensions"],
      [{ name: "envoy.http.original_ip_detection.xff" }],
    ),
    find: "name: envoy.http.original_ip_detection.xff",
  },
  {
    name: "pgv-map-key",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set([...ROUTES, 2, "metadata"], { filter_metadata: { "": { a: 1 } } }),
    find: '""',
    after: "filter_metadata",
  },
  {
    name: "pgv-overlay-matcher-required",
    kind: "pgv",
    rule: "pgv-required",
    mutate: all(
      del([...POLICIES, "whoami", "principals", 0, "sourced_metadata", "metadata_matcher"]),
      set(
        [...POLICIES, "whoami", "principals", 0, "sourced_metadata", "metadata_source"],
        "DYNAMIC",
      ),
    ),
    find: "sourced_metadata",
    after: "whoami",
  },
  {
    name: "pgv-string-in",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set([...HCM, "scheme_header_transformation"], { scheme_to_overwrite: "ftp" }),
    find: "ftp",
  },
  {
    name: "pgv-string-in-sds-name",
    kind: "pgv",
    rule: "pgv-string",
    mutate: set(
      [...DTLS, "common_tls_context", "tls_certificate_sds_secret_configs", 0, "name"],
      "",
    ),
    find: '""',
    after: "tls_certificate_sds_secret_configs",
  },

  // ── cross-references and files ──────────────────────────────────────────
  {
    name: "xref-unknown-cluster",
    kind: "xref",
    rule: "unknown-cluster",
    mutate: set([...ROUTES, 2, "route", "cluster"], "backnd"),
    find: "backnd",
  },
  {
    name: "xref-unknown-filter-config",
    kind: "xref",
    rule: "unknown-filter-config",
    mutate: set([...VH, "typed_per_filter_config", "envoy.filters.http.corz"], {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
    }),
    find: "envoy.filters.http.corz",
  },
  {
    name: "xref-missing-sds-file",
    kind: "xref",
    rule: "missing-file",
    mutate: set(
      [
        ...DTLS,
        "common_tls_context",
        "tls_certificate_sds_secret_configs",
        0,
        "sds_config",
        "path_config_source",
        "path",
      ],
      "sds/nope.yaml",
    ),
    find: "sds/nope.yaml",
  },
  {
    name: "xref-missing-ca-file",
    kind: "xref",
    rule: "missing-file",
    mutate: set(
      [...IDP_TLS, "common_tls_context", "validation_context", "trusted_ca", "filename"],
      "certs/nope.crt",
    ),
    find: "certs/nope.crt",
  },
  {
    name: "xref-sds-needs-node",
    kind: "xref",
    rule: "sds-needs-node",
    mutate: del(["node"]),
    find: "admin",
    after: "",
  },
  {
    name: "xref-duplicate-cluster",
    kind: "xref",
    rule: "duplicate-name",
    mutate: set([...IDP, "name"], "backend"),
    find: "backend",
    after: "path: sds/upstream_ca.yaml",
  },
  {
    name: "load-invalid-jwks-uri",
    kind: "xref",
    rule: "invalid-uri",
    mutate: set([...PROVIDER, "remote_jwks", "http_uri", "uri"], "*"),
    find: '"*"',
    after: "http_uri",
  },
  {
    name: "load-filter-without-config",
    kind: "xref",
    rule: "extension-config-missing",
    mutate: del([...F, 4, "typed_config"]),
    find: "envoy.filters.http.grpc_web",
  },
  {
    name: "load-listener-without-chains",
    kind: "xref",
    rule: "listener-no-filter-chains",
    mutate: del([...L, "filter_chains"]),
    find: "grpc_web",
    after: "listeners:",
  },
  {
    name: "load-listener-without-address",
    kind: "xref",
    rule: "listener-no-address",
    mutate: del([...L, "address"]),
    find: "grpc_web",
    after: "listeners:",
  },
  {
    name: "load-unknown-static-secret",
    kind: "xref",
    rule: "unknown-secret",
    mutate: del([
      ...UTLS,
      "common_tls_context",
      "combined_validation_context",
      "validation_context_sds_secret_config",
      "sds_config",
    ]),
    find: "upstream_ca",
    after: "validation_context_sds_secret_config",
  },
  {
    name: "load-jwt-unknown-provider",
    kind: "xref",
    rule: "jwt-unknown-provider",
    mutate: set([...JWT, "rules", 2, "requires", "provider_name"], "oidcc"),
    find: "oidcc",
  },
  {
    name: "xref-jwks-unknown-cluster",
    kind: "xref",
    rule: "http-uri-unknown-cluster",
    mutate: set([...PROVIDER, "remote_jwks", "http_uri", "cluster"], "ipd"),
    find: "ipd",
  },
  {
    name: "load-static-cluster-hostname",
    kind: "xref",
    rule: "bad-ip-address",
    mutate: set(
      [
        ...BACKEND,
        "load_assignment",
        "endpoints",
        0,
        "lb_endpoints",
        0,
        "endpoint",
        "address",
        "socket_address",
        "address",
      ],
      "backend.fixture.test",
    ),
    find: "backend.fixture.test",
    after: "lb_endpoints",
  },
  {
    name: "load-listener-hostname",
    kind: "xref",
    rule: "bad-ip-address",
    mutate: set([...L, "address", "socket_address", "address"], "localhost"),
    find: "localhost",
  },
  {
    name: "load-tls-without-certificate",
    kind: "xref",
    rule: "tls-no-certificate",
    mutate: del([...DTLS, "common_tls_context", "tls_certificate_sds_secret_configs"]),
    find: "alpn_protocols",
    after: "DownstreamTlsContext",
  },
  {
    name: "load-unknown-protocol-options",
    kind: "xref",
    rule: "unknown-protocol-options",
    mutate: (d) => {
      const m = d.getIn([...BACKEND, "typed_extension_protocol_options"]) as {
        items: { key: { value: string } }[];
      };
      const first = m.items[0];
      if (first) first.key.value = "envoy.upstreams.http.http_protocol_options";
    },
    find: "envoy.upstreams.http.http_protocol_options",
  },

  // ── security lint ───────────────────────────────────────────────────────
  {
    name: "lint-plaintext-listener",
    kind: "lint",
    rule: "plaintext-listener",
    mutate: del([...CHAIN, "transport_socket"], [...CHAIN, "transport_socket_connect_timeout"]),
    find: "filters",
    after: "filter_chains",
  },
  {
    // TLS on the matched chain, clear text on the fallback every unmatched connection gets.
    name: "lint-plaintext-default-filter-chain",
    kind: "lint",
    rule: "plaintext-listener",
    mutate: (doc) => {
      const chain = doc.getIn(CHAIN, true) as { toJSON(): Record<string, unknown> };
      const plain = Object.entries(chain.toJSON()).filter(([k]) => !k.startsWith("transport_"));
      set([...L, "default_filter_chain"], Object.fromEntries(plain))(doc);
    },
    find: "default_filter_chain",
  },
  {
    name: "lint-plaintext-upstream",
    kind: "lint",
    rule: "plaintext-upstream",
    mutate: del([...BACKEND, "transport_socket"]),
    find: "name",
    after: "clusters:",
  },
  {
    name: "lint-token-from-params",
    kind: "lint",
    rule: "token-outside-header",
    mutate: set([...PROVIDER, "from_params"], ["access_token"]),
    find: "from_params",
  },
  {
    name: "lint-token-from-cookies",
    kind: "lint",
    rule: "token-outside-header",
    mutate: set([...PROVIDER, "from_cookies"], ["session"]),
    find: "from_cookies",
  },
  {
    name: "lint-token-default-locations",
    kind: "lint",
    rule: "token-outside-header",
    mutate: del([...PROVIDER, "from_headers"]),
    find: "issuer",
  },
  {
    name: "lint-stream-coverage-content-type",
    kind: "lint",
    rule: "stream-coverage-gap",
    mutate: set(
      [...JWT, "rules", 2, "match", "headers"],
      [{ name: "content-type", string_match: { exact: "application/grpc-web+proto" } }],
    ),
    find: "name: content-type",
  },
  {
    name: "lint-stream-coverage-method",
    kind: "lint",
    rule: "stream-coverage-gap",
    mutate: (d) => {
      const rules = d.getIn([...JWT, "rules"]) as { items: unknown[] };
      rules.items.splice(
        2,
        0,
        d.createNode({ match: { path: "/demo.v1.NotesService/WatchNotes" } }),
      );
    },
    find: "rules",
    after: "JwtAuthentication",
  },
  {
    name: "lint-health-not-exempt",
    kind: "lint",
    rule: "health-not-exempt",
    mutate: del([...JWT, "rules", 0], [...JWT, "rules", 0]),
    find: "requires",
    after: "rules:",
  },
  {
    name: "lint-health-not-allowed-by-rbac",
    kind: "lint",
    rule: "health-not-exempt",
    mutate: del([...POLICIES, "health"]),
    find: "typed_config",
    after: "envoy.filters.http.rbac",
  },
  {
    name: "lint-policy-path-unknown",
    kind: "lint",
    rule: "policy-path-unknown",
    mutate: set(
      [...POLICIES, "read", "permissions", 1, "url_path", "path", "exact"],
      "/demo.v1.NotesService/GetNotes",
    ),
    find: "exact: /demo.v1.NotesService/GetNotes",
    after: "read:",
  },
  {
    name: "lint-method-without-policy",
    kind: "lint",
    rule: "method-without-policy",
    mutate: del([...POLICIES, "admin"]),
    find: "typed_config",
    after: "envoy.filters.http.rbac",
  },
  {
    name: "lint-no-rbac",
    kind: "lint",
    rule: "method-without-policy",
    mutate: del([...F, 3]),
    find: "http_filters",
  },
  {
    name: "lint-cors-origin-prefix-star",
    kind: "lint",
    rule: "cors-origin-wildcard",
    mutate: set([...CORS, "allow_origin_string_match", 0], { prefix: "*" }),
    find: 'prefix: "*"',
  },
  {
    name: "lint-cors-origin-regex",
    kind: "lint",
    rule: "cors-origin-wildcard",
    mutate: set([...CORS, "allow_origin_string_match", 0], { safe_regex: { regex: ".*" } }),
    find: "safe_regex",
  },
  {
    name: "lint-cors-origin-plaintext",
    kind: "lint",
    rule: "cors-origin-insecure",
    mutate: set([...CORS, "allow_origin_string_match", 0], { exact: "http://app.fixture.test" }),
    find: "exact",
    after: "allow_origin_string_match",
  },
  {
    name: "lint-policy-stale-role-became-scope",
    kind: "lint",
    rule: "policy-stale",
    mutate: set(
      [
        ...POLICIES,
        "admin",
        "principals",
        0,
        "sourced_metadata",
        "metadata_matcher",
        "value",
        "list_match",
        "one_of",
        "string_match",
        "exact",
      ],
      "notes.read",
    ),
    find: "principals",
    after: "PurgeNotes",
  },
  {
    name: "lint-grpc-web-filter-missing",
    kind: "lint",
    rule: "grpc-web-missing",
    mutate: del([...F, 4]),
    find: "http_filters",
  },
  {
    name: "xref-router-not-last",
    kind: "xref",
    rule: "terminal-filter-not-last",
    text: (good) =>
      good.replace(
        /( +- name: envoy\.filters\.http\.grpc_web\n(?: +.*\n){2})( +- name: envoy\.filters\.http\.router\n(?: +.*\n){2})/,
        "$2$1",
      ),
    find: "envoy.filters.http.router",
  },
  {
    name: "xref-no-router",
    kind: "xref",
    rule: "terminal-filter-not-last",
    text: (good) => good.replace(/ +- name: envoy\.filters\.http\.router\n(?: +.*\n){2}/, ""),
    find: "envoy.filters.http.grpc_web",
  },
  {
    name: "lint-cors-after-auth",
    kind: "lint",
    rule: "cors-after-auth",
    mutate: (d) => {
      const fs = d.getIn(F) as { items: unknown[] };
      const [cors] = fs.items.splice(0, 1);
      fs.items.splice(3, 0, cors);
    },
    find: "name",
    after: "rbac.v3.RBAC",
  },
  {
    name: "lint-jwt-no-catch-all",
    kind: "lint",
    rule: "jwt-no-catch-all",
    mutate: del([...JWT, "rules", 2]),
    find: "rules",
    after: "JwtAuthentication",
  },
  {
    name: "lint-jwt-catch-all-no-requires",
    kind: "lint",
    rule: "jwt-no-catch-all",
    mutate: del([...JWT, "rules", 2, "requires"]),
    find: "match: { prefix: / }",
    after: "JwtAuthentication",
  },
  {
    name: "lint-jwt-allow-missing-or-failed",
    kind: "lint",
    rule: "jwt-allow-missing",
    mutate: set([...JWT, "rules", 2, "requires"], {
      requires_any: { requirements: [{ provider_name: "oidc" }, { allow_missing_or_failed: {} }] },
    }),
    find: "allow_missing_or_failed",
  },
  {
    name: "lint-jwt-allow-missing",
    kind: "lint",
    rule: "jwt-allow-missing",
    mutate: set([...JWT, "rules", 2, "requires"], {
      requires_any: { requirements: [{ provider_name: "oidc" }, { allow_missing: {} }] },
    }),
    find: "allow_missing",
  },
  {
    name: "lint-rbac-no-rules",
    kind: "lint",
    rule: "rbac-no-rules",
    mutate: del([...RBAC, "rules"]),
    find: '"@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  },
  {
    name: "lint-rbac-per-route-disables",
    kind: "lint",
    rule: "rbac-no-rules",
    mutate: set([...ROUTES, 2, "typed_per_filter_config"], {
      "envoy.filters.http.rbac": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
      },
    }),
    find: '"@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  },
  {
    name: "lint-rbac-allow-all",
    kind: "lint",
    rule: "rbac-allow-all",
    mutate: set([...POLICIES, "everyone"], {
      permissions: [{ any: true }],
      principals: [{ any: true }],
    }),
    find: "permissions",
    after: "everyone",
  },
  {
    name: "lint-rbac-path-header",
    kind: "lint",
    rule: "rbac-path-header",
    mutate: set([...POLICIES, "write", "permissions", 0], {
      header: { name: ":path", string_match: { exact: "/demo.v1.NotesService/CreateNote" } },
    }),
    find: "header",
    after: "write:",
  },
  {
    name: "lint-admin-non-loopback",
    kind: "lint",
    rule: "admin-non-loopback",
    mutate: set(["admin", "address", "socket_address", "address"], "0.0.0.0"),
    find: "address: 0.0.0.0",
    after: "admin",
  },
  {
    name: "lint-jwks-no-ca",
    kind: "lint",
    rule: "jwks-unverified-tls",
    mutate: del([...IDP_TLS, "common_tls_context", "validation_context"]),
    find: "common_tls_context",
    after: "name: idp",
  },
  {
    name: "lint-jwks-no-sni",
    kind: "lint",
    rule: "jwks-unverified-tls",
    mutate: del([...IDP_TLS, "sni"]),
    find: '"@type"',
    after: "name: idp",
  },
  {
    name: "lint-jwks-http",
    kind: "lint",
    rule: "jwks-unverified-tls",
    mutate: set([...PROVIDER, "remote_jwks", "http_uri", "uri"], "http://idp.fixture.test/jwks"),
    find: "uri: http://idp.fixture.test/jwks",
  },
  {
    name: "lint-upstream-no-ca",
    kind: "lint",
    rule: "upstream-tls-no-ca",
    mutate: del([...UTLS, "common_tls_context", "combined_validation_context"]),
    find: "common_tls_context",
    after: "name: backend\n      type",
  },
  {
    name: "lint-upstream-no-san",
    kind: "lint",
    rule: "upstream-tls-no-san",
    mutate: del([
      ...UTLS,
      "common_tls_context",
      "combined_validation_context",
      "default_validation_context",
      "match_typed_subject_alt_names",
    ]),
    find: "common_tls_context",
    after: "name: backend\n      type",
  },
  {
    name: "lint-route-default-timeout",
    kind: "lint",
    rule: "route-timeout-cuts-streams",
    mutate: del([...ROUTES, 2, "route", "timeout"]),
    find: "cluster",
    after: "prefix: /demo.v1.NotesService/",
  },
  {
    name: "lint-route-finite-timeout",
    kind: "lint",
    rule: "route-timeout-cuts-streams",
    mutate: set([...ROUTES, 2, "route", "timeout"], "15s"),
    find: "timeout",
    after: "prefix: /demo.v1.NotesService/",
  },
  {
    name: "lint-route-no-max-stream-duration",
    kind: "lint",
    rule: "route-timeout-cuts-streams",
    mutate: del([...ROUTES, 2, "route", "max_stream_duration"]),
    find: "timeout",
    after: "prefix: /demo.v1.NotesService/",
  },
  {
    name: "lint-route-grpc-timeout-header-max",
    kind: "lint",
    rule: "grpc-timeout-resets-streams",
    warning: true,
    mutate: set([...ROUTES, 1, "route", "max_stream_duration", "grpc_timeout_header_max"], "3600s"),
    find: "grpc_timeout_header_max",
    after: "path: /demo.v1.NotesService/WatchNotes",
  },
  {
    name: "lint-cors-expose-headers",
    kind: "lint",
    rule: "cors-expose-headers",
    mutate: set([...CORS, "expose_headers"], "grpc-status, grpc-message"),
    find: "expose_headers",
  },
  {
    name: "lint-dpop-without-proof-check",
    kind: "lint",
    rule: "dpop-without-proof-check",
    mutate: set([...PROVIDER, "from_headers"], [{ name: "authorization", value_prefix: "DPoP " }]),
    find: "value_prefix",
    after: "from_headers",
  },
  {
    name: "lint-ext-authz-fail-open",
    kind: "lint",
    rule: "ext-authz-fail-open",
    mutate: insertFilter(3, EXT_AUTHZ(true)),
    find: "failure_mode_allow",
  },
  {
    name: "lint-dpop-cors-headers",
    kind: "lint",
    rule: "dpop-cors-headers",
    mutate: (d) => {
      set([...PROVIDER, "from_headers"], [{ name: "authorization", value_prefix: "DPoP " }])(d);
      insertFilter(3, EXT_AUTHZ(false))(d);
    },
    find: "allow_headers",
  },
  {
    name: "lint-cors-allow-authorization",
    kind: "lint",
    rule: "cors-allow-authorization",
    mutate: set([...CORS, "allow_headers"], "content-type, x-grpc-web, x-user-agent"),
    find: "allow_headers",
  },
  {
    name: "lint-cors-deprecated-field",
    kind: "lint",
    rule: "cors-deprecated-field",
    mutate: set([...VH, "cors"], {
      allow_origin_string_match: [{ exact: "https://app.fixture.test" }],
      allow_headers: "authorization",
      expose_headers: "grpc-status, grpc-message, grpc-status-details-bin",
    }),
    find: "cors:",
    after: "routes:",
  },
  {
    name: "lint-ratelimit-not-enforced",
    kind: "lint",
    rule: "ratelimit-not-enforced",
    mutate: del([...RL, "filter_enforced"]),
    find: "token_bucket",
  },
  {
    name: "lint-ratelimit-zero",
    kind: "lint",
    rule: "ratelimit-not-enforced",
    mutate: set([...RL, "filter_enabled", "default_value", "numerator"], 0),
    find: "filter_enabled",
  },
  {
    name: "lint-normalize-path-off",
    kind: "lint",
    rule: "path-normalization-off",
    mutate: del([...HCM, "normalize_path"]),
    find: "stat_prefix",
  },
  {
    name: "lint-escaped-slashes-kept",
    kind: "lint",
    rule: "path-normalization-off",
    mutate: set([...HCM, "path_with_escaped_slashes_action"], "KEEP_UNCHANGED"),
    find: "path_with_escaped_slashes_action",
  },
  {
    name: "lint-underscore-headers",
    kind: "lint",
    rule: "underscore-headers-allowed",
    mutate: set(
      [...HCM, "common_http_protocol_options", "headers_with_underscores_action"],
      "ALLOW",
    ),
    find: "headers_with_underscores_action",
  },
  {
    name: "lint-edge-remote-address-off",
    kind: "lint",
    rule: "edge-remote-address-off",
    mutate: del([...HCM, "use_remote_address"]),
    find: "stat_prefix",
  },
  {
    name: "lint-oauth2-cookie-insecure",
    kind: "lint",
    rule: "oauth2-cookie-insecure",
    mutate: session(OAUTH2((c) => Object.assign(c, { disable_token_encryption: true }))),
    find: "disable_token_encryption",
  },
  {
    name: "lint-oauth2-secret-inline",
    kind: "lint",
    rule: "oauth2-secret-inline",
    mutate: (d) => {
      session(
        OAUTH2((c) => {
          (c.credentials as Record<string, unknown>).token_secret = { name: "client" };
        }),
      )(d);
      set(
        ["static_resources", "secrets"],
        [{ name: "client", generic_secret: { secret: { inline_string: "not-a-real-secret" } } }],
      )(d);
    },
    find: "name: client",
  },
  {
    name: "lint-oauth2-missing-csrf",
    kind: "lint",
    rule: "oauth2-missing-csrf",
    mutate: session(OAUTH2(), CSRF(0)),
    find: "name: envoy.filters.http.oauth2",
  },
  {
    name: "lint-oauth2-redirect-xhr",
    kind: "lint",
    rule: "oauth2-redirect-xhr",
    mutate: session(OAUTH2((c) => delete c.deny_redirect_matcher)),
    find: "redirect_uri",
  },
  // ── lint: bounds (issue 9: no single client exhausts what others need) ──
  {
    name: "lint-tls-handshake-unbounded",
    kind: "lint",
    rule: "tls-handshake-unbounded",
    mutate: del([...CHAIN, "transport_socket_connect_timeout"]),
    find: "transport_socket:",
  },
  {
    name: "lint-connection-idle-disabled",
    kind: "lint",
    rule: "connection-idle-unbounded",
    mutate: set([...HCM, "common_http_protocol_options", "idle_timeout"], "0s"),
    find: "idle_timeout",
    after: "common_http_protocol_options",
  },
  {
    name: "lint-http2-streams-unbounded",
    kind: "lint",
    rule: "http2-streams-unbounded",
    mutate: del([...HCM, "http2_protocol_options"]),
    find: "stat_prefix: grpc_web",
  },
  {
    name: "lint-connection-cap-missing",
    kind: "lint",
    rule: "connection-cap-missing",
    mutate: del(["overload_manager"]),
    find: "name: grpc_web",
  },
  {
    name: "lint-probe-under-connection-cap",
    kind: "lint",
    rule: "probe-connection-cap",
    mutate: (doc) => {
      doc.addIn(
        ["static_resources", "listeners"],
        doc.createNode({
          name: "probe",
          address: { socket_address: { address: "0.0.0.0", port_value: 19001 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type":
                      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "probe",
                    codec_type: "HTTP1",
                    use_remote_address: true,
                    normalize_path: true,
                    merge_slashes: true,
                    path_with_escaped_slashes_action: "REJECT_REQUEST",
                    common_http_protocol_options: {
                      idle_timeout: "15s",
                      headers_with_underscores_action: "REJECT_REQUEST",
                    },
                    route_config: {
                      virtual_hosts: [
                        {
                          name: "probe",
                          domains: ["*"],
                          routes: [{ match: { prefix: "/" }, direct_response: { status: 404 } }],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.health_check",
                        typed_config: {
                          "@type":
                            "type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck",
                          pass_through_mode: false,
                          headers: [{ name: ":path", string_match: { exact: "/ready" } }],
                        },
                      },
                      {
                        name: "envoy.filters.http.router",
                        typed_config: {
                          "@type":
                            "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        }),
      );
    },
    find: "name: probe",
  },
  {
    name: "lint-budget-shared-streams-and-unary",
    kind: "lint",
    rule: "budget-shared",
    mutate: set([...ROUTES, 1, "route", "cluster"], "backend"),
    find: "cluster",
    after: "prefix: /demo.v1.NotesService/",
  },
  {
    name: "lint-public-stream-at-edge",
    kind: "lint",
    rule: "public-stream-at-edge",
    mutate: (doc) => {
      doc.deleteIn([...ROUTES, 3, "direct_response"]);
      doc.setIn(
        [...ROUTES, 3, "route"],
        doc.createNode({
          cluster: "backend_public",
          timeout: "0s",
          max_stream_duration: { max_stream_duration: "900s", grpc_timeout_header_max: "3600s" },
        }),
      );
    },
    find: "cluster",
    after: "path: /grpc.health.v1.Health/Watch",
    warning: true,
  },
  {
    name: "lint-stream-duration-unbounded",
    kind: "lint",
    rule: "stream-duration-unbounded",
    mutate: del([...ROUTES, 1, "route", "max_stream_duration", "max_stream_duration"]),
    find: "timeout",
    after: "path: /demo.v1.NotesService/WatchNotes",
  },
];

/** The text of a case's variant. */
export function variantText(c: CorpusCase): string {
  if (c.text) return c.text(GOOD);
  const doc = parseDocument(GOOD);
  c.mutate?.(doc);
  return doc.toString({ lineWidth: 0 });
}

/** 1-based line and column of the expected finding in `text`. */
export function expectedPosition(
  c: CorpusCase,
  text: string,
): { line: number; col: number } | undefined {
  const from = c.after ? text.indexOf(c.after) : 0;
  if (from < 0) return undefined;
  const start = c.after ? from + c.after.length : 0;
  const i = c.find === "" ? start : text.indexOf(c.find, start);
  if (i < 0) return undefined;
  const before = text.slice(0, i).split("\n");
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

/** Small deterministic PRNG (mulberry32), so a failure names its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RANDOM_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  4294967296,
  1.5,
  "",
  "x",
  "0s",
  "-1s",
  "1.5s",
  "NaN",
  "10",
  [],
  {},
  [1, "a"],
  ["a"],
  { a: 1 },
  "AUTO",
  "*",
];

/** A node of a parsed document that can be replaced or deleted: its parent and its key there. */
export interface ReplaceableNode {
  readonly parent: { set(k: unknown, v: unknown): void; delete(k: unknown): boolean };
  readonly key: unknown;
}

/** Every map entry and list item of `doc`, in document order. */
export function replaceableNodes(doc: Document): ReplaceableNode[] {
  const nodes: ReplaceableNode[] = [];
  const walk = (x: unknown) => {
    if (isMap(x)) {
      for (const p of x.items) {
        nodes.push({ parent: x, key: isScalar(p.key) ? p.key.value : p.key });
        walk(p.value);
      }
    } else if (isSeq(x)) {
      x.items.forEach((item, i) => {
        nodes.push({ parent: x, key: i });
        walk(item);
      });
    }
  };
  walk(doc.contents);
  return nodes;
}

/**
 * The good fixture with one random node replaced by a random value (or
 * deleted): seeded, so the differential test and the fuzz test are repeatable.
 */
export function randomVariant(seed: number): string {
  const r = rng(seed * 31);
  const doc = parseDocument(GOOD);
  const nodes = replaceableNodes(doc);
  const pick = nodes[Math.floor(r() * nodes.length)];
  const value = RANDOM_VALUES[Math.floor(r() * RANDOM_VALUES.length)];
  if (pick) {
    if (r() < 0.25) pick.parent.delete(pick.key);
    else pick.parent.set(pick.key, doc.createNode(value));
  }
  return doc.toString();
}

/** Text the text mutations insert: YAML indicators, tabs, control characters, directives. */
const JUNK = [
  "",
  " ",
  ":",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "&a",
  "*a",
  "!!binary",
  "\t",
  "\n",
  "'",
  '"',
  "#",
  "@type",
  "0",
  "-1",
  "1e309",
  "null",
  "~",
  "<<: *a",
  "\u0000",
  "é",
  "%YAML 1.2\n---\n",
];
/**
 * One to four random edits of `text` (cut, insert junk, swap two lines, repeat a line): the
 * fuzz test's text mutations, shared with the fast YAML reader's equivalence test.
 */
export function mutateText(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * t.length);
    const op = Math.floor(r() * 4);
    if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 20));
    else if (op === 1)
      t = t.slice(0, at) + (JUNK[Math.floor(r() * JUNK.length)] as string) + t.slice(at);
    else if (op === 2) {
      const lines = t.split("\n");
      const a = Math.floor(r() * lines.length);
      const b = Math.floor(r() * lines.length);
      [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      t = lines.join("\n");
    } else {
      const lines = t.split("\n");
      const a = Math.floor(r() * lines.length);
      lines.splice(a, 0, lines[Math.floor(r() * lines.length)] as string);
      t = lines.join("\n");
    }
  }
  return t;
}
