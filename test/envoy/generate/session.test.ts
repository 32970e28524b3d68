/**
 * Session mode (backend-for-frontend) of the generator: envoy/session/ is the golden, Envoy 1.40
 * accepts it, our validator accepts it, and the lint refuses each dangerous oauth2 setting.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { runGenerate } from "../../../src/envoy/generate/cli.js";
import {
  envoyVersion,
  findEnvoy,
  formatFinding,
  GatewayConfigError,
  parseGateway,
  validateEnvoyConfig,
} from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

const dir = join(repoRoot, "envoy", "session");
const gatewayText = readFileSync(join(dir, "gateway.yaml"), "utf8");
const envoyText = readFileSync(join(dir, "envoy.yaml"), "utf8");
// biome-ignore lint/suspicious/noExplicitAny: walking generated YAML
type Y = any;
const config: Y = parse(envoyText);
const hcm: Y = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const filter = (name: string): Y => hcm.http_filters.find((f: Y) => f.name === name)?.typed_config;
const oauth: Y = filter("envoy.filters.http.oauth2").config;

describe("golden: envoy/session/", () => {
  it("regenerating from envoy/session/gateway.yaml gives the same bytes", async () => {
    const out = mkdtempSync(join(tmpdir(), "gwo-session-golden-"));
    const cwd = process.cwd();
    process.chdir(repoRoot);
    try {
      const args = ["--gateway", "envoy/session/gateway.yaml", "-o", join(out, "envoy.yaml")];
      expect(await runGenerate(args)).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(join(out, "envoy.yaml"), "utf8")).toBe(envoyText);
    expect(readdirSync(join(out, "sds")).sort()).toEqual(readdirSync(join(dir, "sds")).sort());
    for (const f of readdirSync(join(dir, "sds")))
      expect(readFileSync(join(out, "sds", f), "utf8"), f).toBe(
        readFileSync(join(dir, "sds", f), "utf8"),
      );
  });
});

describe("the session-mode bootstrap", () => {
  it("puts csrf and oauth2 between grpc_web and jwt_authn; everything after is token mode's", () => {
    expect(hcm.http_filters.map((f: Y) => f.name)).toEqual([
      "envoy.filters.http.cors",
      "envoy.filters.http.grpc_web",
      // Before oauth2: one connection's request flood cannot spend refresh tokens at the IdP.
      "envoy.filters.http.local_ratelimit.per_connection",
      "envoy.filters.http.csrf",
      "envoy.filters.http.oauth2",
      "envoy.filters.http.jwt_authn",
      "grpc-web-oidc.access-token-check",
      "grpc-web-oidc.access-token",
      "envoy.filters.http.rbac",
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.lua",
      "envoy.filters.http.router",
    ]);
    expect(oauth.forward_bearer_token).toBe(true);
    expect(filter("envoy.filters.http.jwt_authn").rules.at(-1).requires.provider_name).toBe("oidc");
  });

  it("is a confidential client with PKCE-era cookies: __Host- names, SameSite Lax, encrypted", () => {
    expect(oauth.auth_type).toBe("BASIC_AUTH");
    expect(oauth.use_refresh_token).toBe(true);
    expect(oauth.disable_token_encryption).toBeUndefined();
    const names = Object.values(oauth.credentials.cookie_names) as string[];
    expect(names).toHaveLength(7);
    for (const n of names) expect(n).toMatch(/^__Host-/);
    for (const [k, v] of Object.entries(oauth.cookie_configs) as [string, Y][])
      expect(v.same_site, k).toBe("LAX");
    expect(oauth.redirect_uri).toBe("https://api.notes.example.com/oauth2/callback");
    expect(oauth.end_session_endpoint).toMatch(/\/logout$/);
    expect(oauth.post_logout_redirect_uri.uri).toBe("https://notes.example.com/");
  });

  it("reads both secrets through SDS files; no secret text in envoy.yaml", () => {
    for (const key of ["token_secret", "hmac_secret"]) {
      expect(oauth.credentials[key].sds_config.path_config_source.path).toMatch(
        /^\/etc\/envoy\/sds\/oauth-/,
      );
    }
    expect(config.static_resources.secrets).toBeUndefined();
    const sds = parse(readFileSync(join(dir, "sds", "oauth-client-secret.yaml"), "utf8"));
    expect(sds.resources[0].generic_secret.secret.filename).toBe(
      "/etc/envoy/secrets/oauth/client-secret",
    );
  });

  it("retries a token request only within its one timeout: Envoy's per-try timeout (retry_back_off.max_interval) is the whole timeout", () => {
    // Http::Utility::convertCoreToRouteRetryPolicy copies max_interval into per_try_timeout: a
    // shorter one cuts slow refreshes off at the IdP and retries them (a refresh the IdP
    // finished has spent its token).
    expect(oauth.token_endpoint.timeout).toBe("10s");
    expect(oauth.retry_policy.retry_back_off.max_interval).toBe(oauth.token_endpoint.timeout);
    expect(oauth.retry_policy.num_retries).toBe(2);
  });

  it("answers 401 instead of 302 for gRPC-Web and other non-navigation requests", () => {
    const names = oauth.deny_redirect_matcher.map((m: Y) => m.name);
    expect(names).toEqual(["x-grpc-web", "content-type", "sec-fetch-mode"]);
  });

  it("routes an RPC only for POST + gRPC-Web content type + x-grpc-web; CORS with credentials", () => {
    const vh: Y = hcm.route_config.virtual_hosts[0];
    const preflight = vh.routes.find((r: Y) => r.match.prefix === "/demo.v1.NotesService/");
    // A prefix route answers CORS preflights (OPTIONS); each method's route the calls.
    expect(preflight.match.headers).toEqual([
      { name: ":method", string_match: { exact: "OPTIONS" } },
    ]);
    const rpc = vh.routes.find((r: Y) => r.match.path === "/demo.v1.NotesService/ListNotes");
    expect(rpc.match.headers.map((h: Y) => h.name)).toEqual([
      ":method",
      "content-type",
      "x-grpc-web",
    ]);
    const cors = vh.typed_per_filter_config["envoy.filters.http.cors"];
    expect(cors.allow_credentials).toBe(true);
    expect(cors.allow_headers).not.toContain("authorization");
    expect(filter("envoy.filters.http.csrf").additional_origins).toEqual([
      { exact: "api.notes.example.com" },
      { exact: "notes.example.com" },
    ]);
  });

  it("passes our validator and lint with no error", async () => {
    const r = await validateEnvoyConfig(envoyText, {
      filename: join(dir, "envoy.yaml"),
      services: [NotesService],
      checkFiles: false,
    });
    expect(r.findings.filter((f) => f.severity === "error").map(formatFinding)).toEqual([]);
  });
});

/** The lint finds `rule` in the session config after `mutate`. */
async function lintIds(mutate: (c: Y) => void): Promise<string[]> {
  const c: Y = parse(envoyText);
  mutate(c);
  const r = await validateEnvoyConfig(stringify(c), {
    filename: "session.yaml",
    services: [NotesService],
    checkFiles: false,
  });
  return r.findings
    .filter((f) => f.severity === "error" || f.severity === "warning")
    .map((f) => f.rule);
}
const oauthOf = (c: Y): Y =>
  c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.find(
    (f: Y) => f.name === "envoy.filters.http.oauth2",
  ).typed_config.config;
const filtersOf = (c: Y): Y[] =>
  c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;

type Mutate = (c: Y) => void;

describe("the lint knows the oauth2 filter's dangerous settings", () => {
  it.each<[string, Mutate]>([
    ["oauth2-cookie-insecure", (c: Y) => (oauthOf(c).disable_token_encryption = true)],
    [
      "oauth2-cookie-insecure",
      (c: Y) => (oauthOf(c).cookie_configs.refresh_token_cookie_config.same_site = "NONE"),
    ],
    ["oauth2-cookie-insecure", (c: Y) => delete oauthOf(c).cookie_configs],
    ["oauth2-cookie-insecure", (c: Y) => (oauthOf(c).credentials.cookie_domain = "example.com")],
    [
      "oauth2-secret-inline",
      (c: Y) => {
        oauthOf(c).credentials.token_secret = { name: "client" };
        c.static_resources.secrets = [
          { name: "client", generic_secret: { secret: { inline_string: "s3cret" } } },
        ];
      },
    ],
    ["oauth2-redirect-xhr", (c: Y) => delete oauthOf(c).deny_redirect_matcher],
    [
      "oauth2-redirect-xhr",
      (c: Y) =>
        (oauthOf(c).deny_redirect_matcher = [{ name: "x-requested-with", present_match: true }]),
    ],
    [
      "oauth2-missing-csrf",
      (c: Y) => {
        const f = filtersOf(c);
        f.splice(
          f.findIndex((x: Y) => x.name === "envoy.filters.http.csrf"),
          1,
        );
      },
    ],
    [
      "oauth2-missing-csrf",
      (c: Y) =>
        (filtersOf(c).find(
          (x: Y) => x.name === "envoy.filters.http.csrf",
        ).typed_config.filter_enabled.default_value.numerator = 0),
    ],
  ])("%s fires on a broken variant", async (rule, mutate) => {
    expect(await lintIds(mutate)).toContain(rule);
  });

  it("none of them fires on the generated config", async () => {
    const ids = await lintIds(() => {});
    expect(ids.filter((id) => id.startsWith("oauth2-"))).toEqual([]);
  });
});

describe("session: in gateway.yaml", () => {
  const withSession = (edit: (s: string) => string) =>
    edit(gatewayText.slice(gatewayText.indexOf("session:")));
  const base = gatewayText.slice(0, gatewayText.indexOf("session:"));
  it.each([
    ["mode: bff", "mode: cookie", "session.mode", "unknown mode"],
    ["sameSite: Lax", "sameSite: None", "session.sameSite", "Lax or Strict"],
    [
      "appUrl: https://notes.example.com/",
      "appUrl: https://evil.example/",
      "session.appUrl",
      "cors.allowedOrigins",
    ],
    ["scopes: [openid, ", "scopes: [", "session.scopes", "openid"],
    [
      "gatewayOrigin: https://api.notes.example.com",
      "gatewayOrigin: https://api.notes.example.com/x",
      "session.gatewayOrigin",
      "exact origin",
    ],
    [
      "clientSecret: /etc/envoy/secrets/oauth/client-secret",
      "clientSecret: secrets/client-secret",
      "session.clientSecret",
      "absolute path",
    ],
  ])("%s -> %s is refused at FILE:LINE with the field", (from, to, field, why) => {
    const text = base + withSession((s) => s.replace(from, to));
    let err: unknown;
    try {
      parseGateway(text, "gw.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayConfigError);
    const e = err as GatewayConfigError;
    expect(e.field).toBe(field);
    expect(e.reason).toContain(why);
    expect(e.line).toBeGreaterThan(60);
  });

  it("without session: the model is token mode (no oauth2 filter)", () => {
    expect(parseGateway(base, "gw.yaml").session).toBeUndefined();
  });
});

describe("session.app: the same-origin deployment (the gateway serves the app)", () => {
  const sameOrigin = readFileSync(
    join(repoRoot, "test/envoy/generate/testdata/in/session-same-origin.yaml"),
    "utf8",
  );
  const model = parseGateway(sameOrigin, "gw.yaml");
  const generated: Y = parse(
    readFileSync(
      join(repoRoot, "test/envoy/generate/testdata/out/session-same-origin/envoy.yaml"),
      "utf8",
    ),
  );
  const routes: Y[] =
    generated.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config
      .virtual_hosts[0].routes;

  it("reads session.app, and CORS may then allow no other origin", () => {
    expect(model.cors.allowedOrigins).toEqual([]);
    expect(model.session?.app).toMatchObject({
      address: "notes-web.notes.svc.cluster.local",
      port: 8443,
      san: "notes-web.notes.svc.cluster.local",
      sni: "notes-web.notes.svc.cluster.local",
    });
  });

  it("sends GET/HEAD that no RPC route took to the app, last, with no token or cookie, signed in only", () => {
    // Last but the unknown-method pair (preflights, then Envoy's own UNIMPLEMENTED reply).
    expect(routes.at(-1).direct_response.status).toBe(404);
    expect(routes.at(-2).match.headers).toEqual([
      { name: ":method", string_match: { exact: "OPTIONS" } },
    ]);
    const last = routes.at(-3);
    expect(last.route.cluster).toBe("app");
    expect(last.match.headers).toEqual([
      { name: ":method", string_match: { safe_regex: { regex: "GET|HEAD" } } },
    ]);
    expect(last.request_headers_to_remove).toEqual(["authorization", "cookie"]);
    const policy = last.typed_per_filter_config["envoy.filters.http.rbac"].rbac.rules;
    expect(policy.action).toBe("ALLOW");
    expect(Object.keys(policy.policies)).toEqual(["session/app"]);
    // Every RPC route comes before it.
    const rpc = routes.findIndex((r: Y) => r.match.path === "/demo.v1.NotesService/ListNotes");
    expect(rpc).toBeGreaterThanOrEqual(0);
    expect(rpc).toBeLessThan(routes.indexOf(last));
    const app = generated.static_resources.clusters.find((c: Y) => c.name === "app");
    const tls = app.transport_socket.typed_config;
    expect(tls.sni).toBe("notes-web.notes.svc.cluster.local");
    expect(tls.common_tls_context.combined_validation_context.default_validation_context).toEqual({
      match_typed_subject_alt_names: [
        { san_type: "DNS", matcher: { exact: "notes-web.notes.svc.cluster.local" } },
      ],
    });
  });

  it.each([
    [
      "appUrl: https://notes.example.com/",
      "appUrl: https://app.notes.example.com/",
      "session.appUrl",
      "must be on",
    ],
    [
      "address: notes-web.notes.svc.cluster.local",
      "address: 10.0.0.7",
      "session.app.sni",
      "required when address is an IP",
    ],
    ["port: 8443\n    ca:", "port: 0\n    ca:", "session.app.port", ""],
  ])("%s -> %s is refused with the field", (from, to, field, why) => {
    expect(sameOrigin).toContain(from);
    let err: unknown;
    try {
      parseGateway(sameOrigin.replace(from, to), "gw.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as GatewayConfigError).field).toBe(field);
    expect((err as GatewayConfigError).reason).toContain(why);
  });

  it("without session.app, an empty cors.allowedOrigins is still refused", () => {
    const text = gatewayText.replace(/allowedOrigins:.*\n/, "allowedOrigins: []\n");
    expect(text).toContain("allowedOrigins: []");
    expect(() => parseGateway(text, "gw.yaml")).toThrow(GatewayConfigError);
  });
});

const bin = findEnvoy(repoRoot);

describe.skipIf(!bin)(
  bin ? `envoy --mode validate (Envoy ${envoyVersion(bin.path)}) of envoy/session/` : "no Envoy",
  () => {
    /** Stages envoy/session with /etc/envoy mapped into a temp folder and placeholder files. */
    function stage(transform: (y: string) => string = (y) => y): string {
      const root = mkdtempSync(join(tmpdir(), "gwo-session-validate-"));
      const map = (t: string) => t.replaceAll("/etc/envoy", root);
      mkdirSync(join(root, "sds"));
      for (const f of readdirSync(join(dir, "sds")))
        writeFileSync(join(root, "sds", f), map(readFileSync(join(dir, "sds", f), "utf8")));
      for (const [sub, files] of [
        ["tls/server", ["tls.crt", "tls.key"]],
        ["tls/upstream-client", ["tls.crt", "tls.key", "ca.crt"]],
        ["tls/idp-ca", ["ca.crt"]],
        ["secrets/oauth", ["client-secret", "hmac-secret"]],
      ] as const) {
        mkdirSync(join(root, sub), { recursive: true });
        for (const f of files) writeFileSync(join(root, sub, f), "placeholder-secret-0123456789");
      }
      const file = join(root, "envoy.yaml");
      writeFileSync(file, transform(map(envoyText)));
      return file;
    }
    const validate = (file: string) => {
      const r = spawnSync(
        bin?.path ?? "envoy",
        ["--mode", "validate", "-c", file, "-l", "warning", "--disable-hot-restart"],
        { encoding: "utf8" },
      );
      return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
    };

    it("accepts it with no deprecation warning", () => {
      const r = validate(stage());
      expect(r.output).not.toMatch(/deprecated/i);
      expect(r.status).toBe(0);
    });

    it("rejects a broken variant (an unknown SameSite), so the check above can fail", () => {
      const r = validate(stage((y) => y.replace("same_site: LAX", "same_site: SOMETIMES")));
      expect(r.status).not.toBe(0);
    });
  },
);
