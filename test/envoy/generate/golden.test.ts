import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { HEALTH_PATHS } from "../../../src/access/index.js";
import { runGenerate } from "../../../src/envoy/generate/cli.js";
import {
  formatFinding,
  GENERATED_HEADER,
  generateGateway,
  HTTP_FILTERS,
  loadGatewayFile,
  validateEnvoyConfig,
} from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

const bundleDir = join(repoRoot, "envoy");
// biome-ignore lint/suspicious/noExplicitAny: walking generated YAML
type Y = any;

describe("golden: envoy/envoy.yaml and envoy/sds/*.yaml", () => {
  it("regenerating from gateway.yaml and the protos gives the same bytes", async () => {
    const out = mkdtempSync(join(tmpdir(), "gwo-golden-"));
    const cwd = process.cwd();
    process.chdir(repoRoot);
    try {
      expect(await runGenerate(["-o", join(out, "envoy.yaml")])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(join(out, "envoy.yaml"), "utf8")).toBe(
      readFileSync(join(bundleDir, "envoy.yaml"), "utf8"),
    );
    const sds = readdirSync(join(bundleDir, "sds")).sort();
    expect(readdirSync(join(out, "sds")).sort()).toEqual(sds);
    for (const f of sds) {
      expect(readFileSync(join(out, "sds", f), "utf8"), f).toBe(
        readFileSync(join(bundleDir, "sds", f), "utf8"),
      );
    }
  });

  it("is deterministic: two runs over the same inputs are byte-identical", () => {
    const model = loadGatewayFile(join(bundleDir, "gateway.yaml"));
    const a = generateGateway(model, [NotesService]);
    const b = generateGateway(model, [NotesService]);
    expect(a).toEqual(b);
    expect(a.envoyYaml.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
  });
});

describe("the generated bootstrap", () => {
  const config: Y = parse(readFileSync(join(bundleDir, "envoy.yaml"), "utf8"));
  const https: Y = config.static_resources.listeners.find((l: Y) => l.name === "https");
  const chain: Y = https.filter_chains[0];
  const hcm: Y = chain.filters[0].typed_config;
  const filter = (name: string): Y =>
    hcm.http_filters.find((f: Y) => f.name === name)?.typed_config;
  const cluster = (name: string): Y =>
    config.static_resources.clusters.find((c: Y) => c.name === name);

  it("keeps the one filter order: cors, grpc_web, per-connection rate limit, jwt_authn, access-token check, rbac, local_ratelimit, lua, router", () => {
    // ext_authz is in the table but only in the chain with `dpop` (see dpop.test.ts); csrf and
    // oauth2 only in session mode (see session.test.ts).
    const modeOnly = [
      "envoy.filters.http.ext_authz",
      "envoy.filters.http.csrf",
      "envoy.filters.http.oauth2",
    ];
    expect(hcm.http_filters.map((f: Y) => f.name)).toEqual(
      HTTP_FILTERS.map((f) => f.name).filter((n) => !modeOnly.includes(n)),
    );
    expect(hcm.http_filters.map((f: Y) => f.name)).toEqual([
      "envoy.filters.http.cors",
      "envoy.filters.http.grpc_web",
      "envoy.filters.http.local_ratelimit.per_connection",
      "envoy.filters.http.jwt_authn",
      "grpc-web-oidc.access-token-check",
      "grpc-web-oidc.access-token",
      "envoy.filters.http.rbac",
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.lua",
      "envoy.filters.http.router",
    ]);
    for (const f of HTTP_FILTERS) expect(f.why.length).toBeGreaterThan(20);
  });

  it("terminates TLS 1.2+ with h2 and http/1.1, certificates from SDS files with watched_directory", () => {
    const tls = chain.transport_socket.typed_config.common_tls_context;
    expect(tls.alpn_protocols).toEqual(["h2", "http/1.1"]);
    expect(tls.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
    const sds = tls.tls_certificate_sds_secret_configs[0].sds_config.path_config_source;
    expect(sds.path).toBe("/etc/envoy/sds/server-cert.yaml");
    expect(sds.watched_directory.path).toBe("/etc/envoy/sds");
    const secret: Y = parse(readFileSync(join(bundleDir, "sds", "server-cert.yaml"), "utf8"))
      .resources[0];
    expect(secret.tls_certificate.watched_directory.path).toBe("/etc/envoy/tls/server");
  });

  it("hardens the connection manager", () => {
    expect(hcm).toMatchObject({
      codec_type: "AUTO",
      use_remote_address: true,
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: "REJECT_REQUEST",
      common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
      stream_idle_timeout: "300s",
      max_request_headers_kb: 60,
    });
    expect(JSON.stringify(hcm.access_log).toLowerCase()).not.toContain("authorization");
    expect(config.admin.address.socket_address.address).toBe("127.0.0.1");
    expect(config.overload_manager.resource_monitors[0].name).toBe(
      "envoy.resource_monitors.fixed_heap",
    );
    expect(https.per_connection_buffer_limit_bytes).toBe(32768);
  });

  it("allows exact origins only, the gRPC-Web headers and the status headers", () => {
    const policy =
      hcm.route_config.virtual_hosts[0].typed_per_filter_config["envoy.filters.http.cors"];
    expect(policy.allow_origin_string_match).toEqual([{ exact: "https://notes.example.com" }]);
    expect(policy.allow_headers.split(", ")).toEqual(
      expect.arrayContaining([
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
        "authorization",
      ]),
    );
    expect(policy.expose_headers.split(", ")).toEqual([
      "grpc-status",
      "grpc-message",
      "grpc-status-details-bin",
    ]);
    expect(policy.forward_not_matching_preflights).toBe(false);
    expect(hcm.route_config.virtual_hosts[0].cors).toBeUndefined();
  });

  it("verifies tokens from the Authorization header only, exempting health, with a catch-all", () => {
    const jwt = filter("envoy.filters.http.jwt_authn");
    const p = jwt.providers.oidc;
    expect(p.from_headers).toEqual([{ name: "authorization", value_prefix: "Bearer " }]);
    expect(p.from_params).toBeUndefined();
    expect(p.forward).toBe(true);
    expect(p.normalize_payload_in_metadata).toEqual({ space_delimited_claims: ["scope"] });
    expect(cluster(p.remote_jwks.http_uri.cluster).transport_socket.typed_config.sni).toBe(
      "login.example.com",
    );
    expect(jwt.rules.slice(0, 2)).toEqual(HEALTH_PATHS.map((path) => ({ match: { path } })));
    expect(jwt.rules.at(-1)).toEqual({
      match: { prefix: "/" },
      requires: { provider_name: "oidc" },
    });
    expect(jwt.bypass_cors_preflight).toBe(true);
  });

  it("has one RBAC policy per method with an option, by exact url_path, default deny", () => {
    const rbac = filter("envoy.filters.http.rbac");
    expect(rbac.rules.action).toBe("ALLOW");
    const paths = Object.values(rbac.rules.policies).map(
      (p: Y) => p.permissions[0].url_path.path.exact,
    );
    expect(paths.sort()).toEqual(
      [
        ...NotesService.methods.map((m) => `/demo.v1.NotesService/${m.name}`),
        ...HEALTH_PATHS,
      ].sort(),
    );
    const purge: Y = rbac.rules.policies["demo.v1.NotesService/PurgeNotes"].principals[0];
    expect(JSON.stringify(purge)).toContain(
      '"list_match":{"one_of":{"string_match":{"exact":"admin"}}}',
    );
    expect(rbac.rules.policies["grpc.health.v1.Health/Check"].principals).toEqual([{ any: true }]);
  });

  it("routes each traffic class to its own cluster, health first, without cutting streams", () => {
    const routes: Y[] = hcm.route_config.virtual_hosts[0].routes;
    expect(routes.map((r) => [r.match, r.route?.cluster ?? r.direct_response.status])).toEqual([
      [{ path: HEALTH_PATHS[0] }, "backend_public"],
      // Health/Watch (public, long-lived) is answered by Envoy: UNIMPLEMENTED.
      [{ path: HEALTH_PATHS[1] }, 404],
      [{ path: "/demo.v1.NotesService/WatchNotes" }, "backend_streams"],
      ...["WhoAmI", "ListNotes", "GetNote", "CreateNote", "PurgeNotes"].map((m) => [
        { path: `/demo.v1.NotesService/${m}` },
        "backend",
      ]),
      // Preflights of calls to unknown methods (the cors filter answers only on such a route).
      [
        { prefix: "/", headers: [{ name: ":method", string_match: { exact: "OPTIONS" } }] },
        "backend",
      ],
      // Any other path names no proto method: Envoy answers it, UNIMPLEMENTED.
      [{ prefix: "/" }, 404],
    ]);
    for (const r of routes.filter((r) => r.route)) {
      expect(r.route.timeout).toBe("0s");
      expect(r.route.max_stream_duration).toEqual({
        max_stream_duration: "960s",
      });
    }
  });

  it("answers a path no proto method has with UNIMPLEMENTED itself, token and access filters off for it only", () => {
    const routes: Y[] = hcm.route_config.virtual_hosts[0].routes;
    const last = routes.at(-1);
    expect(last.route).toBeUndefined();
    expect(last.direct_response).toEqual({
      status: 404,
      body: { inline_string: "unknown method" },
    });
    expect(Object.keys(last.typed_per_filter_config).sort()).toEqual(
      [
        "envoy.filters.http.jwt_authn",
        "envoy.filters.http.rbac",
        "grpc-web-oidc.access-token",
        "grpc-web-oidc.access-token-check",
      ].sort(),
    );
    // Every forwarding route keeps every filter.
    for (const r of routes.filter((r) => r.route))
      expect(r.typed_per_filter_config).toBeUndefined();
  });

  it("gives a connection 5 s to finish TLS and 10 s idle, on both listeners", () => {
    const probe: Y = config.static_resources.listeners.find((l: Y) => l.name === "probe");
    expect(chain.transport_socket_connect_timeout).toBe("5s");
    expect(probe.filter_chains[0].transport_socket_connect_timeout).toBe("5s");
    expect(hcm.common_http_protocol_options.idle_timeout).toBe("10s");
    expect(hcm.request_headers_timeout).toBe("10s");
    expect(hcm.http2_protocol_options.max_concurrent_streams).toBe(100);
  });

  it("keeps the probe listener outside the global connection cap, with a cap of its own", () => {
    const probe: Y = config.static_resources.listeners.find((l: Y) => l.name === "probe");
    expect(probe.ignore_global_conn_limit).toBe(true);
    expect(https.ignore_global_conn_limit).toBeUndefined();
    const [limit, last] = probe.filter_chains[0].filters;
    expect(limit.typed_config.max_connections).toBe(64);
    expect(last.name).toBe("envoy.filters.network.http_connection_manager");
    expect(config.admin.ignore_global_conn_limit).toBe(true);
  });

  it("gives public, streaming and unary calls separate circuit breakers to the same backend", () => {
    const budget = (name: string) => cluster(name).circuit_breakers.thresholds[0];
    expect(budget("backend")).toMatchObject({ max_requests: 1024, max_pending_requests: 1024 });
    expect(budget("backend_streams")).toMatchObject({
      max_requests: 512,
      max_pending_requests: 512,
    });
    expect(budget("backend_public")).toMatchObject({
      max_requests: 100,
      max_pending_requests: 100,
    });
    const hosts = ["backend", "backend_streams", "backend_public"].map(
      (n) => cluster(n).load_assignment.endpoints[0].lb_endpoints[0].endpoint.address,
    );
    expect(new Set(hosts.map((h) => JSON.stringify(h))).size).toBe(1);
    // Only one of them runs the gRPC health checks /ready reads.
    expect(cluster("backend").health_checks).toHaveLength(1);
    expect(cluster("backend_streams").health_checks).toBeUndefined();
  });

  it("has the overload manager shed stalled connections first as the heap fills", () => {
    const om = config.overload_manager;
    expect(om.resource_monitors.map((m: Y) => m.name)).toEqual([
      "envoy.resource_monitors.fixed_heap",
      "envoy.resource_monitors.global_downstream_max_connections",
    ]);
    expect(om.resource_monitors[1].typed_config.max_active_downstream_connections).toBe(10000);
    const reduce = om.actions.find((a: Y) => a.name === "envoy.overload_actions.reduce_timeouts");
    expect(reduce.typed_config.timer_scale_factors.map((t: Y) => t.timer)).toEqual([
      "HTTP_DOWNSTREAM_CONNECTION_IDLE",
      "TRANSPORT_SOCKET_CONNECT",
    ]);
    expect(om.loadshed_points[0].name).toBe("envoy.load_shed_points.tcp_listener_accept");
  });

  it("enforces the rate limit when one is configured", () => {
    const rl = filter("envoy.filters.http.local_ratelimit");
    expect(rl.filter_enabled.default_value).toEqual({ numerator: 100, denominator: "HUNDRED" });
    expect(rl.filter_enforced.default_value).toEqual({ numerator: 100, denominator: "HUNDRED" });
  });

  it("reaches the backend over HTTP/2 mutual TLS with a pinned SAN", () => {
    const b = cluster("backend");
    expect(
      b.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
        .explicit_http_config,
    ).toHaveProperty("http2_protocol_options");
    const tls = b.transport_socket.typed_config;
    expect(tls.sni).toBe("notes-backend.notes.svc.cluster.local");
    expect(tls.common_tls_context.alpn_protocols).toEqual(["h2"]);
    expect(tls.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe(
      "upstream_client_cert",
    );
    expect(tls.common_tls_context.combined_validation_context.default_validation_context).toEqual({
      match_typed_subject_alt_names: [
        {
          san_type: "URI",
          matcher: { exact: "spiffe://notes.example.com/ns/notes/sa/notes-backend" },
        },
      ],
    });
    expect(b.health_checks[0].grpc_health_check).toBeDefined();
    expect(b.circuit_breakers.thresholds[0].max_requests).toBe(1024);
  });
});

describe("our own validator (validateEnvoyConfig)", () => {
  it("accepts the generated bundle with the demo services, lint included", async () => {
    const text = readFileSync(join(bundleDir, "envoy.yaml"), "utf8");
    const result = await validateEnvoyConfig(text, {
      filename: "envoy/envoy.yaml",
      checkFiles: false,
      services: [NotesService],
    });
    expect(result.findings.filter((f) => f.severity === "error").map(formatFinding)).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
