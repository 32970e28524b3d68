/**
 * `dpop` in gateway.yaml: what the generator emits (jwt_authn's DPoP scheme, the
 * ext_authz filter right after it, fail-closed and time-bounded, the origin in the
 * route's context extensions, public routes exempt, CORS for the DPoP headers) and
 * how bad input is refused.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import {
  GatewayConfigError,
  generateGateway,
  parseGateway,
  validateEnvoyConfig,
} from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

// biome-ignore lint/suspicious/noExplicitAny: walking generated YAML
type Y = any;

const base = readFileSync(join(repoRoot, "envoy", "gateway.yaml"), "utf8");
const withDpop = (section: string) => `${base}\ndpop:\n${section}`;

function generated(section: string) {
  const model = parseGateway(withDpop(section), "gateway.yaml");
  const bundle = generateGateway(model, [NotesService]);
  const config: Y = parse(bundle.envoyYaml);
  const hcm: Y = config.static_resources.listeners.find((l: Y) => l.name === "https")
    .filter_chains[0].filters[0].typed_config;
  const filter = (name: string): Y =>
    hcm.http_filters.find((f: Y) => f.name === name)?.typed_config;
  const vhost: Y = hcm.route_config.virtual_hosts[0];
  return { bundle, hcm, filter, vhost };
}

describe("gateway.yaml dpop", () => {
  const { bundle, hcm, filter, vhost } = generated("  origin: https://api.notes.example.com\n");

  it("puts ext_authz right after jwt_authn and its token-shape checks, before authorization", () => {
    const names: string[] = hcm.http_filters.map((f: Y) => f.name);
    const at = names.indexOf("envoy.filters.http.ext_authz");
    expect(at).toBeGreaterThan(0);
    expect(names.slice(at - 3, at)).toEqual([
      "envoy.filters.http.jwt_authn",
      "grpc-web-oidc.access-token-check",
      "grpc-web-oidc.access-token",
    ]);
    expect(names[at + 1]).toBe("envoy.filters.http.rbac");
  });

  it("accepts exactly `DPoP <jws>` in the header (and `Bearer <jws>` only when allowed)", () => {
    const check = filter("grpc-web-oidc.access-token-check");
    const principal = check.shadow_rules.policies["access-token"].principals[0];
    const header = (principal.and_ids?.ids[0] ?? principal).header;
    expect(header.string_match.safe_regex.regex).toBe(
      "^DPoP [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
    );
  });

  it("takes the token from the DPoP scheme only (Bearer not allowed by default)", () => {
    const provider = filter("envoy.filters.http.jwt_authn").providers.oidc;
    expect(provider.from_headers).toEqual([{ name: "authorization", value_prefix: "DPoP " }]);
    expect(provider.payload_in_metadata).toBe("jwt_payload");
    expect(provider.forward).toBe(true);
  });

  it("calls the verifier on the upstream cluster, fails closed, within a deadline", () => {
    const authz = filter("envoy.filters.http.ext_authz");
    expect(authz.grpc_service).toEqual({ envoy_grpc: { cluster_name: "backend" }, timeout: "1s" });
    expect(authz.failure_mode_allow).toBe(false);
    expect(authz.status_on_error).toEqual({ code: "ServiceUnavailable" });
    expect(authz.metadata_context_namespaces).toEqual(["envoy.filters.http.jwt_authn"]);
    expect(authz.allowed_headers.patterns).toEqual([{ exact: "authorization" }, { exact: "dpop" }]);
  });

  it("sends the configured origin, and skips the check on public routes", () => {
    expect(
      vhost.typed_per_filter_config["envoy.filters.http.ext_authz"].check_settings
        .context_extensions,
    ).toEqual({ dpop_origin: "https://api.notes.example.com" });
    const health = vhost.routes.filter((r: Y) => r.match.path?.startsWith("/grpc.health.v1."));
    expect(health.length).toBeGreaterThan(0);
    for (const r of health) {
      expect(r.typed_per_filter_config["envoy.filters.http.ext_authz"].disabled).toBe(true);
    }
  });

  it("lets browsers send the proof and read the nonce and the challenge (CORS)", () => {
    const cors = vhost.typed_per_filter_config["envoy.filters.http.cors"];
    expect(cors.allow_headers.split(", ")).toContain("dpop");
    expect(cors.expose_headers.split(", ")).toEqual(
      expect.arrayContaining(["dpop-nonce", "www-authenticate"]),
    );
  });

  it("validates against Envoy's schema and the security lint", async () => {
    const result = await validateEnvoyConfig(bundle.envoyYaml, {
      filename: "envoy.yaml",
      checkFiles: false,
      services: [NotesService],
    });
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
  });

  it("accepts Bearer as well with allowBearer, and a custom timeout", () => {
    const g = generated(
      "  origin: https://api.notes.example.com\n  allowBearer: true\n  timeout: 250ms\n",
    );
    expect(g.filter("envoy.filters.http.jwt_authn").providers.oidc.from_headers).toEqual([
      { name: "authorization", value_prefix: "DPoP " },
      { name: "authorization", value_prefix: "Bearer " },
    ]);
    expect(g.filter("envoy.filters.http.ext_authz").grpc_service.timeout).toBe("0.25s");
  });

  it.each([
    ["  origin: https://api.example.com/base\n", "dpop.origin", /exact origin/],
    ["  origin: http://api.example.com\n", "dpop.origin", /https/],
    ["  allowBearer: true\n", "dpop.origin", /required/],
    ["  origin: https://a.example\n  timeout: 0s\n", "dpop.timeout", /.+/],
    ["  origin: https://a.example\n  verifier: x\n", "dpop.verifier", /unknown/],
  ])("refuses %j naming %s", (section, field, why) => {
    let err: unknown;
    try {
      parseGateway(withDpop(section), "gateway.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayConfigError);
    const e = err as GatewayConfigError;
    expect(e.field).toBe(field);
    expect(e.line).toBeGreaterThan(50);
    expect(e.reason).toMatch(why);
  });
});
