import { HEALTH_PATHS } from "../../access/index.js";
import { type Decoded, parseDuration } from "../schema/decode.js";
import type { Severity } from "../schema/issue.js";
import {
  clustersByName,
  connectionManagers,
  FILTER_TYPES,
  flattenPermissions,
  get,
  hasSanMatch,
  hasTrustedCa,
  httpFilters,
  isConditional,
  isGrpcWeb,
  isLoopback,
  isMsg,
  jwtRuleFor,
  type LintContext,
  type LintHit,
  msgs,
  permissionMatches,
  routeMatchPath,
  routesOf,
  ruleRequires,
  stringMatches,
  T,
  typeOf,
  upstreamTls,
} from "./model.js";

/** A security lint rule: a stable id, why it matters in one line, and a check on the decoded config. */
export interface LintRule {
  /** Stable id printed in findings, e.g. `plaintext-listener`. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: the risk the rule guards against. */
  readonly reason: string;
  readonly check: (ctx: LintContext) => Iterable<LintHit>;
}

const EXPOSE = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
const SAFE_ESCAPED_SLASHES = new Set([
  "REJECT_REQUEST",
  "UNESCAPE_AND_REDIRECT",
  "UNESCAPE_AND_FORWARD",
]);

function headerList(v: unknown): string[] {
  return typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
    : [];
}

/** RBAC filters (not per-route) of every HCM. */
function rbacFilters(ctx: LintContext) {
  return connectionManagers(ctx).flatMap(({ hcm }) =>
    httpFilters(hcm)
      .filter((f) => f.type === FILTER_TYPES.rbac)
      .map((f) => ({ hcm, filter: f.filter, config: get(f.filter, "typed_config") })),
  );
}

function jwtFilters(ctx: LintContext) {
  return ctx.all(T.jwt);
}

/** Whether a path is permitted by an ALLOW RBAC config (undefined when the action is not ALLOW). */
function rbacAllows(
  config: Decoded | undefined,
  path: string,
  anyPrincipal = false,
): boolean | undefined {
  const rules = get(config, "rules");
  if (!isMsg(rules)) return undefined;
  if ((rules.action ?? "ALLOW") !== "ALLOW") return undefined;
  const policies = isMsg(rules.policies) ? Object.values(rules.policies) : [];
  return policies.some(
    (p) =>
      msgs(get(p, "permissions")).some((perm) => permissionMatches(perm, path)) &&
      (!anyPrincipal || msgs(get(p, "principals")).some((pr) => pr.any === true)),
  );
}

/** Paths named exactly (or by prefix) in RBAC permissions and jwt_authn rules. */
function* policyPaths(
  ctx: LintContext,
): Generator<{ node: object; field: string; path: string; prefix: boolean }> {
  for (const perm of ctx.all(T.permission)) {
    for (const p of flattenPermissions(perm)) {
      const m = get(p, "url_path", "path");
      if (!isMsg(m)) continue;
      if (typeof m.exact === "string")
        yield { node: m, field: "exact", path: m.exact, prefix: false };
      if (typeof m.prefix === "string" && m.prefix.length > 1)
        yield { node: m, field: "prefix", path: m.prefix, prefix: true };
    }
  }
  for (const jwt of jwtFilters(ctx)) {
    for (const r of msgs(jwt.rules)) {
      const m = r.match;
      if (!isMsg(m)) continue;
      if (typeof m.path === "string") yield { node: m, field: "path", path: m.path, prefix: false };
      if (typeof m.prefix === "string" && m.prefix.length > 1)
        yield { node: m, field: "prefix", path: m.prefix, prefix: true };
    }
  }
}

/** The security lint, one row per rule. Ids are stable: tools and suppressions may rely on them. */
export const LINT_RULES: readonly LintRule[] = [
  {
    id: "plaintext-listener",
    severity: "error",
    reason: "tokens and calls cross the network in clear text unless the listener terminates TLS",
    *check(ctx) {
      for (const l of ctx.all(T.listener)) {
        for (const chain of msgs(l.filter_chains)) {
          if (
            typeOf(get(chain, "transport_socket", "typed_config")) !==
            `type.googleapis.com/${T.downstreamTls}`
          )
            yield {
              node: chain,
              field: "transport_socket",
              message: `listener ${String(l.name)} has a filter chain without TLS (DownstreamTlsContext)`,
            };
        }
      }
    },
  },
  {
    id: "plaintext-upstream",
    severity: "error",
    reason: "the forwarded token and the call travel to the cluster in clear text",
    *check(ctx) {
      for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
        if (!upstreamTls(c))
          yield {
            node: c,
            field: "name",
            message: `cluster ${String(c.name)} has no UpstreamTlsContext`,
          };
      }
    },
  },
  {
    id: "token-outside-header",
    severity: "error",
    reason:
      "tokens in query strings or cookies leak into logs and are sent cross-site; accept only the Authorization header",
    *check(ctx) {
      for (const p of ctx.all(T.jwtProvider)) {
        if (Array.isArray(p.from_params) && p.from_params.length > 0)
          yield {
            node: p,
            field: "from_params",
            message: "jwt_authn provider accepts tokens from query parameters",
          };
        if (Array.isArray(p.from_cookies) && p.from_cookies.length > 0)
          yield {
            node: p,
            field: "from_cookies",
            message: "jwt_authn provider accepts tokens from cookies",
          };
        if (msgs(p.from_headers).length === 0)
          yield {
            node: p,
            field: "issuer",
            message:
              "jwt_authn provider has no from_headers, so the default access_token query parameter is accepted too",
          };
        for (const h of msgs(p.from_headers)) {
          if (String(h.name).toLowerCase() !== "authorization")
            yield {
              node: h,
              field: "name",
              message: `jwt_authn provider reads tokens from header ${String(h.name)}`,
            };
        }
      }
    },
  },
  {
    id: "stream-coverage-gap",
    severity: "error",
    reason:
      "unary and streaming calls of the same service must get the same authentication; content-type keyed rules miss grpc-web-text and streams",
    *check(ctx) {
      for (const jwt of jwtFilters(ctx)) {
        for (const r of msgs(jwt.rules)) {
          for (const h of msgs(get(r, "match", "headers"))) {
            if (String(h.name).toLowerCase() === "content-type")
              yield {
                node: h,
                field: "name",
                message:
                  "jwt_authn rule keyed on content-type: gRPC-Web text, binary and streaming calls differ in it",
              };
          }
        }
        if (!ctx.policy) continue;
        const bySvc = new Map<string, { unary: boolean[]; stream: boolean[] }>();
        for (const m of ctx.policy.methods) {
          if (!m.rule || m.rule.kind === "public") continue;
          const verified = ruleRequires(jwt, jwtRuleFor(jwt, m.path));
          const e = bySvc.get(m.service) ?? { unary: [], stream: [] };
          (m.kind === "unary" ? e.unary : e.stream).push(verified);
          bySvc.set(m.service, e);
          if (m.kind !== "unary" && !verified && e.unary.some(Boolean))
            yield {
              node: jwt,
              field: "rules",
              message: `streaming method ${m.path} is not verified by jwt_authn while unary methods of ${m.service} are`,
            };
        }
      }
      for (const perm of ctx.all(T.permission)) {
        for (const p of flattenPermissions(perm)) {
          const h = p.header;
          if (isMsg(h) && String(h.name).toLowerCase() === "content-type")
            yield {
              node: h,
              field: "name",
              message:
                "RBAC permission keyed on content-type: gRPC-Web text, binary and streaming calls differ in it",
            };
        }
      }
    },
  },
  {
    id: "health-not-exempt",
    severity: "error",
    reason:
      "load balancers and probes call health without a token; requiring one takes the gateway out of rotation",
    *check(ctx) {
      for (const jwt of jwtFilters(ctx)) {
        const path = HEALTH_PATHS[0];
        const rule = jwtRuleFor(jwt, path);
        if (ruleRequires(jwt, rule))
          yield {
            node: rule ?? jwt,
            field: "requires",
            message: `jwt_authn requires a token for ${path}`,
          };
      }
      for (const { config, filter } of rbacFilters(ctx)) {
        if (rbacAllows(config, HEALTH_PATHS[0], true) === false)
          yield {
            node: filter,
            field: "typed_config",
            message: `RBAC does not allow ${HEALTH_PATHS[0]} for any principal`,
          };
      }
    },
  },
  {
    id: "policy-path-unknown",
    severity: "error",
    reason:
      "a policy path that names no proto method is a typo or a stale rule, and the real method stays unprotected or denied",
    *check(ctx) {
      const policy = ctx.policy;
      if (!policy) return;
      for (const p of policyPaths(ctx)) {
        if (!p.path.startsWith("/") || p.path === "/") continue;
        const ok = p.prefix
          ? policy.methods.some((m) => m.path.startsWith(p.path))
          : policy.lookup(p.path) !== undefined;
        if (!ok)
          yield {
            node: p.node,
            field: p.field,
            message: `${p.path} matches no method of the proto services`,
          };
      }
    },
  },
  {
    id: "method-without-policy",
    severity: "error",
    reason:
      "a proto method the access options grant but no RBAC policy allows is denied at the gateway (or unenforced when RBAC is absent)",
    *check(ctx) {
      const policy = ctx.policy;
      if (!policy) return;
      for (const { hcm } of connectionManagers(ctx)) {
        if (!isGrpcWeb(hcm)) continue;
        const rbac = httpFilters(hcm).find((f) => f.type === FILTER_TYPES.rbac);
        if (!rbac) {
          yield {
            node: hcm,
            field: "http_filters",
            message: "no RBAC filter: the proto access rules are not enforced at the gateway",
          };
          continue;
        }
        for (const m of policy.methods) {
          if (!m.rule) continue;
          if (rbacAllows(get(rbac.filter, "typed_config"), m.path) === false)
            yield {
              node: rbac.filter,
              field: "typed_config",
              message: `no RBAC policy allows ${m.path}`,
            };
        }
      }
    },
  },
  {
    id: "cors-origin-wildcard",
    severity: "error",
    reason:
      'an origin matcher that matches "*" lets every site call the API with the user\'s browser',
    *check(ctx) {
      for (const pol of [...ctx.all(T.corsPolicy), ...ctx.all(T.routeCorsPolicy)]) {
        for (const m of msgs(pol.allow_origin_string_match)) {
          if (stringMatches(m, "*"))
            yield { node: m, message: 'origin matcher matches "*" (any origin)' };
        }
      }
    },
  },
  {
    id: "cors-after-auth",
    severity: "error",
    reason:
      "preflights and error replies lack CORS headers when jwt_authn or rbac run before cors, so browsers see opaque failures",
    *check(ctx) {
      for (const { hcm } of connectionManagers(ctx)) {
        const fs = httpFilters(hcm);
        const cors = fs.findIndex((f) => f.type === FILTER_TYPES.cors);
        if (cors < 0) continue;
        const auth = fs.findIndex(
          (f) => f.type === FILTER_TYPES.jwt || f.type === FILTER_TYPES.rbac,
        );
        if (auth >= 0 && auth < cors)
          yield {
            node: fs[cors]?.filter ?? hcm,
            field: "name",
            message: "cors filter comes after jwt_authn/rbac",
          };
      }
    },
  },
  {
    id: "jwt-no-catch-all",
    severity: "error",
    reason:
      'in Envoy a request that matches no jwt_authn rule passes unverified; end the rules with prefix "/" requiring a provider',
    *check(ctx) {
      for (const jwt of jwtFilters(ctx)) {
        const catchAll = msgs(jwt.rules).find(
          (r) =>
            routeMatchPath(r.match, "/") &&
            routeMatchPath(r.match, "/x.Y/Z") &&
            !isConditional(r.match),
        );
        if (!catchAll)
          yield {
            node: jwt,
            field: "rules",
            message: 'jwt_authn has no catch-all rule (prefix "/") requiring a provider',
          };
        else if (!ruleRequires(jwt, catchAll))
          yield {
            node: catchAll,
            field: "match",
            message: "jwt_authn catch-all rule does not require a provider",
          };
      }
    },
  },
  {
    id: "jwt-allow-missing",
    severity: "error",
    reason: "allow_missing / allow_missing_or_failed let requests without a valid token through",
    *check(ctx) {
      for (const r of ctx.all(T.jwtRequirement)) {
        if (isMsg(r.allow_missing_or_failed))
          yield {
            node: r,
            field: "allow_missing_or_failed",
            message: "requirement accepts missing or failed tokens",
          };
        if (isMsg(r.allow_missing))
          yield {
            node: r,
            field: "allow_missing",
            message: "requirement accepts requests without a token",
          };
      }
    },
  },
  {
    id: "rbac-no-rules",
    severity: "error",
    reason: "an RBAC filter without rules (or without policies under ALLOW) enforces nothing",
    *check(ctx) {
      for (const { config } of rbacFilters(ctx)) {
        if (!isMsg(config)) continue;
        if (!isMsg(config.rules) && !isMsg(config.matcher))
          yield {
            node: config,
            field: "@type",
            message: "RBAC filter has no rules: every request is allowed",
          };
      }
      for (const pr of ctx.all(T.rbacPerRoute)) {
        const rbac = pr.rbac;
        if (!isMsg(rbac) || (!isMsg(rbac.rules) && !isMsg(rbac.matcher)))
          yield {
            node: pr,
            field: isMsg(rbac) ? "rbac" : "@type",
            message: "RBACPerRoute without rbac rules disables RBAC on this route",
          };
      }
    },
  },
  {
    id: "rbac-allow-all",
    severity: "error",
    reason: "an ALLOW policy with any permission and any principal opens every method to everyone",
    *check(ctx) {
      for (const rules of [
        ...ctx.all(T.rbac),
        ...ctx.all(T.rbacPerRoute).map((p) => get(p, "rbac")),
      ]) {
        const r = get(rules, "rules");
        if (!isMsg(r) || (r.action ?? "ALLOW") !== "ALLOW" || !isMsg(r.policies)) continue;
        for (const p of Object.values(r.policies)) {
          if (
            isMsg(p) &&
            msgs(p.permissions).some((x) => x.any === true) &&
            msgs(p.principals).some((x) => x.any === true)
          )
            yield {
              node: p,
              field: "permissions",
              message: "ALLOW policy with any permission and any principal",
            };
        }
      }
    },
  },
  {
    id: "rbac-path-header",
    severity: "error",
    reason: 'matching :path includes the query string ("/m?x" escapes exact matches); use url_path',
    *check(ctx) {
      for (const perm of ctx.all(T.permission)) {
        for (const p of flattenPermissions(perm)) {
          if (isMsg(p.header) && p.header.name === ":path")
            yield {
              node: p,
              field: "header",
              message: "RBAC permission matches the :path header; use url_path",
            };
        }
      }
    },
  },
  {
    id: "admin-non-loopback",
    severity: "error",
    reason: "the admin interface can stop Envoy and dump secrets; bind it to 127.0.0.1 only",
    *check(ctx) {
      for (const a of ctx.all(T.admin)) {
        const addr = get(a, "address", "socket_address");
        if (isMsg(addr) && typeof addr.address === "string" && !isLoopback(addr.address))
          yield { node: addr, field: "address", message: `admin listens on ${addr.address}` };
      }
    },
  },
  {
    id: "jwks-unverified-tls",
    severity: "error",
    reason: "keys fetched over TLS that verifies nothing let a network attacker sign tokens",
    *check(ctx) {
      const clusters = clustersByName(ctx);
      for (const p of ctx.all(T.jwtProvider)) {
        const uri = get(p, "remote_jwks", "http_uri");
        if (!isMsg(uri)) continue;
        if (typeof uri.uri === "string" && uri.uri.startsWith("http:"))
          yield { node: uri, field: "uri", message: "JWKS fetched over plain http" };
        const c = typeof uri.cluster === "string" ? clusters.get(uri.cluster) : undefined;
        if (!c) continue;
        const tls = upstreamTls(c);
        if (!tls)
          yield {
            node: uri,
            field: "cluster",
            message: `JWKS cluster ${String(uri.cluster)} has no TLS`,
          };
        else if (!hasTrustedCa(tls))
          yield {
            node: tls,
            field: "common_tls_context",
            message: `JWKS cluster ${String(uri.cluster)} does not verify the server certificate (no trusted_ca)`,
          };
        else if (typeof tls.sni !== "string" || tls.sni === "")
          yield {
            node: tls,
            field: "@type",
            message: `JWKS cluster ${String(uri.cluster)} sends no SNI`,
          };
      }
    },
  },
  {
    id: "upstream-tls-no-ca",
    severity: "error",
    reason: "without trusted_ca Envoy accepts any certificate from the upstream",
    *check(ctx) {
      for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
        const tls = upstreamTls(c);
        if (tls && !hasTrustedCa(tls))
          yield {
            node: tls,
            field: "common_tls_context",
            message: `cluster ${String(c.name)} does not verify the upstream certificate (no trusted_ca)`,
          };
      }
    },
  },
  {
    id: "upstream-tls-no-san",
    severity: "error",
    reason: "a trusted CA alone accepts any certificate it issued; match the upstream's SAN",
    *check(ctx) {
      for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
        const tls = upstreamTls(c);
        if (tls && hasTrustedCa(tls) && !hasSanMatch(tls))
          yield {
            node: tls,
            field: "common_tls_context",
            message: `cluster ${String(c.name)} does not match the upstream certificate's SAN`,
          };
      }
    },
  },
  {
    id: "route-timeout-cuts-streams",
    severity: "error",
    reason:
      "the default 15 s route timeout (or any non-zero one) cuts server streams; use timeout 0s with max_stream_duration",
    *check(ctx) {
      const unary = new Set<string>([HEALTH_PATHS[0]]);
      for (const m of ctx.policy?.methods ?? []) if (m.kind === "unary") unary.add(m.path);
      for (const { hcm } of connectionManagers(ctx)) {
        if (!isGrpcWeb(hcm)) continue;
        for (const r of routesOf(hcm)) {
          const action = r.route;
          if (!isMsg(action)) continue;
          const exact = get(r, "match", "path");
          if (typeof exact === "string" && unary.has(exact)) continue;
          const t = parseDuration(action.timeout);
          if (t === undefined)
            yield {
              node: action,
              field: "cluster",
              message: "route has no timeout: the default 15 s cuts server streams",
            };
          else if (t !== 0)
            yield {
              node: action,
              field: "timeout",
              message: `route timeout ${String(action.timeout)} cuts server streams`,
            };
          else if (!isMsg(action.max_stream_duration))
            yield {
              node: action,
              field: "timeout",
              message: "timeout 0s without max_stream_duration leaves streams unbounded",
            };
        }
      }
    },
  },
  {
    id: "cors-expose-headers",
    severity: "error",
    reason:
      "browsers hide grpc-status/grpc-message/grpc-status-details-bin unless exposed, so every error reads as Unknown",
    *check(ctx) {
      for (const pol of [...ctx.all(T.corsPolicy), ...ctx.all(T.routeCorsPolicy)]) {
        const have = headerList(pol.expose_headers);
        const missing = EXPOSE.filter((h) => !have.includes(h));
        if (missing.length > 0)
          yield {
            node: pol,
            field: "expose_headers",
            message: `CORS policy does not expose ${missing.join(", ")}`,
          };
      }
    },
  },
  {
    id: "cors-allow-authorization",
    severity: "error",
    reason:
      'the Authorization header is never covered by "*"; without it browsers refuse to send the token',
    *check(ctx) {
      for (const pol of [...ctx.all(T.corsPolicy), ...ctx.all(T.routeCorsPolicy)]) {
        if (!headerList(pol.allow_headers).includes("authorization"))
          yield {
            node: pol,
            field: "allow_headers",
            message: "CORS policy allow_headers lacks authorization",
          };
      }
    },
  },
  {
    id: "cors-deprecated-field",
    severity: "error",
    reason:
      "the route/virtual-host cors field is deprecated; use the cors filter with a CorsPolicy in typed_per_filter_config",
    *check(ctx) {
      for (const t of [T.virtualHost, T.route]) {
        for (const n of ctx.all(t))
          if (isMsg(n.cors)) yield { node: n, field: "cors", message: "deprecated cors field" };
      }
    },
  },
  {
    id: "ratelimit-not-enforced",
    severity: "error",
    reason:
      "local_ratelimit is a no-op until both filter_enabled and filter_enforced are set above 0%",
    *check(ctx) {
      for (const rl of ctx.all(T.localRateLimit)) {
        if (!isMsg(rl.token_bucket)) continue;
        for (const f of ["filter_enabled", "filter_enforced"]) {
          const n = get(rl, f, "default_value", "numerator");
          if (!isMsg(rl[f]))
            yield { node: rl, field: "token_bucket", message: `local_ratelimit without ${f}` };
          else if (typeof n !== "number" || n === 0)
            yield { node: rl, field: f, message: `local_ratelimit ${f} is 0%` };
        }
      }
    },
  },
  {
    id: "path-normalization-off",
    severity: "error",
    reason:
      'un-normalised paths ("/a/../b", "//", "%2F") bypass path-based authorization (CVE-2019-9901, CVE-2021-29492)',
    *check(ctx) {
      for (const { hcm } of connectionManagers(ctx)) {
        if (hcm.normalize_path !== true)
          yield { node: hcm, field: "stat_prefix", message: "normalize_path is not true" };
        if (hcm.merge_slashes !== true)
          yield { node: hcm, field: "stat_prefix", message: "merge_slashes is not true" };
        const a = hcm.path_with_escaped_slashes_action;
        if (typeof a !== "string" || !SAFE_ESCAPED_SLASHES.has(a))
          yield {
            node: hcm,
            field: a === undefined ? "stat_prefix" : "path_with_escaped_slashes_action",
            message: "path_with_escaped_slashes_action keeps %2F unchanged",
          };
      }
    },
  },
  {
    id: "underscore-headers-allowed",
    severity: "error",
    reason:
      "headers with underscores can smuggle values past header-based checks; set headers_with_underscores_action REJECT_REQUEST",
    *check(ctx) {
      for (const { hcm } of connectionManagers(ctx)) {
        const a = get(hcm, "common_http_protocol_options", "headers_with_underscores_action");
        if (a !== "REJECT_REQUEST") {
          const opts = hcm.common_http_protocol_options;
          yield isMsg(opts)
            ? {
                node: opts,
                field: "headers_with_underscores_action",
                message: `headers_with_underscores_action is ${String(a ?? "ALLOW")}`,
              }
            : {
                node: hcm,
                field: "stat_prefix",
                message: "headers_with_underscores_action is not set (ALLOW)",
              };
        }
      }
    },
  },
  {
    id: "edge-remote-address-off",
    severity: "error",
    reason:
      "on the edge without use_remote_address Envoy trusts client-sent X-Forwarded-For and marks requests internal",
    *check(ctx) {
      for (const { listener, hcm } of connectionManagers(ctx)) {
        const addr = get(listener, "address", "socket_address", "address");
        if (typeof addr === "string" && isLoopback(addr)) continue;
        if (hcm.use_remote_address !== true)
          yield {
            node: hcm,
            field: "stat_prefix",
            message: "use_remote_address is not true on an edge listener",
          };
      }
    },
  },
];
