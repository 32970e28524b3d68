import type { AccessPolicy } from "../../access/index.js";
import type { Decoded, DecodedMessage } from "../schema/decode.js";

/** Full names of the Envoy messages the lint looks at. */
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
} as const;

/** Filter names (by their config's type) used for ordering checks. */
export const FILTER_TYPES = {
  cors: "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors",
  jwt: `type.googleapis.com/${T.jwt}`,
  rbac: `type.googleapis.com/${T.rbac}`,
  grpcWeb: "type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
} as const;

/** What the rules see: the decoded bootstrap, an index of messages by type, and the method policy. */
export interface LintContext {
  readonly config: DecodedMessage;
  /** Every decoded message of a type, in document order. */
  all(typeName: string): readonly DecodedMessage[];
  /** The proto methods and their access rules, when descriptors were given. */
  readonly policy: AccessPolicy | undefined;
}

/** One lint hit: the decoded object, optionally one of its fields (proto name). */
export interface LintHit {
  readonly node: object;
  readonly field?: string;
  readonly message: string;
}

export function isMsg(v: unknown): v is DecodedMessage {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Nested field access on decoded messages. */
export function get(v: Decoded | undefined, ...keys: (string | number)[]): Decoded | undefined {
  let cur: Decoded | undefined = v;
  for (const k of keys) {
    if (typeof k === "number") cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isMsg(cur) ? cur[k] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

export function msgs(v: Decoded | undefined): DecodedMessage[] {
  return Array.isArray(v) ? v.filter(isMsg) : [];
}

export function typeOf(v: Decoded | undefined): string | undefined {
  const t = get(v, "@type");
  return typeof t === "string" ? t : undefined;
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "localhost";
}

/** Evaluates an Envoy StringMatcher against `s` (unsupported forms do not match). */
export function stringMatches(m: Decoded | undefined, s: string): boolean {
  if (!isMsg(m)) return false;
  const ic = m.ignore_case === true;
  const a = ic ? s.toLowerCase() : s;
  const norm = (x: Decoded | undefined) =>
    typeof x === "string" ? (ic ? x.toLowerCase() : x) : undefined;
  const exact = norm(m.exact);
  if (exact !== undefined) return a === exact;
  const prefix = norm(m.prefix);
  if (prefix !== undefined) return a.startsWith(prefix);
  const suffix = norm(m.suffix);
  if (suffix !== undefined) return a.endsWith(suffix);
  const contains = norm(m.contains);
  if (contains !== undefined) return a.includes(contains);
  return safeRegexMatches(m, s);
}

/** Whether a `safe_regex` (RE2, read as a JS regex) matches all of `s`; false when absent or invalid. */
function safeRegexMatches(m: Decoded | undefined, s: string): boolean {
  const re = get(m, "safe_regex", "regex");
  if (typeof re !== "string") return false;
  try {
    return new RegExp(`^(?:${re})$`, "u").test(s);
  } catch {
    return false;
  }
}

/** The HCMs of all listeners with the listener that holds each. */
export function connectionManagers(
  ctx: LintContext,
): { listener: DecodedMessage; hcm: DecodedMessage }[] {
  const out: { listener: DecodedMessage; hcm: DecodedMessage }[] = [];
  for (const listener of ctx.all(T.listener)) {
    const chains = [...msgs(listener.filter_chains)];
    if (isMsg(listener.default_filter_chain)) chains.push(listener.default_filter_chain);
    for (const chain of chains) {
      for (const f of msgs(chain.filters)) {
        const tc = f.typed_config;
        if (typeOf(tc) === `type.googleapis.com/${T.hcm}` && isMsg(tc))
          out.push({ listener, hcm: tc });
      }
    }
  }
  return out;
}

/** The HTTP filters of an HCM with the type of each. */
export function httpFilters(
  hcm: DecodedMessage,
): { filter: DecodedMessage; type: string | undefined }[] {
  return msgs(hcm.http_filters).map((filter) => ({ filter, type: typeOf(filter.typed_config) }));
}

/** Whether an HCM serves gRPC-Web (has the grpc_web filter). */
export function isGrpcWeb(hcm: DecodedMessage): boolean {
  return httpFilters(hcm).some((f) => f.type === FILTER_TYPES.grpcWeb);
}

/** Every route of an HCM's inline route_config. */
export function routesOf(hcm: DecodedMessage): DecodedMessage[] {
  return msgs(get(hcm, "route_config", "virtual_hosts")).flatMap((vh) => msgs(vh.routes));
}

/** Whether a route / jwt_authn RouteMatch matches `path` by its path specifier alone. */
export function routeMatchPath(match: Decoded | undefined, path: string): boolean {
  if (!isMsg(match)) return false;
  const ic = get(match, "case_sensitive") === false;
  const p = ic ? path.toLowerCase() : path;
  const lc = (x: Decoded | undefined) =>
    typeof x === "string" ? (ic ? x.toLowerCase() : x) : undefined;
  const prefix = lc(match.prefix);
  if (prefix !== undefined) return p.startsWith(prefix);
  const exact = lc(match.path);
  if (exact !== undefined) return p === exact;
  const sep = lc(match.path_separated_prefix);
  if (sep !== undefined) return p === sep || p.startsWith(`${sep}/`);
  return safeRegexMatches(match, path);
}

/** A match with header or query constraints may not apply to every request. */
export function isConditional(match: Decoded | undefined): boolean {
  return msgs(get(match, "headers")).length > 0 || msgs(get(match, "query_parameters")).length > 0;
}

/** Whether a jwt_authn requirement demands a verified token (no allow_missing anywhere). */
export function requiresToken(req: Decoded | undefined): boolean {
  if (!isMsg(req)) return false;
  if (typeof req.provider_name === "string") return true;
  if (isMsg(req.provider_and_audiences)) return true;
  if (isMsg(req.allow_missing) || isMsg(req.allow_missing_or_failed)) return false;
  const anyOf = msgs(get(req, "requires_any", "requirements"));
  if (anyOf.length > 0) return anyOf.every(requiresToken);
  const allOf = msgs(get(req, "requires_all", "requirements"));
  if (allOf.length > 0) return allOf.some(requiresToken);
  return false;
}

/** The first jwt_authn rule that applies to `path` unconditionally (Envoy uses the first match). */
export function jwtRuleFor(jwt: DecodedMessage, path: string): DecodedMessage | undefined {
  return msgs(jwt.rules).find((r) => routeMatchPath(r.match, path) && !isConditional(r.match));
}

/** Whether a jwt_authn rule verifies tokens (inline `requires` or a named requirement). */
export function ruleRequires(jwt: DecodedMessage, rule: DecodedMessage | undefined): boolean {
  if (!rule) return false;
  if (typeof rule.requirement_name === "string") {
    return requiresToken(get(jwt, "requirement_map", rule.requirement_name));
  }
  return requiresToken(rule.requires);
}

/** Evaluates an RBAC Permission against a request path (anything else about the request: no match). */
export function permissionMatches(p: Decoded | undefined, path: string): boolean {
  if (!isMsg(p)) return false;
  if (p.any === true) return true;
  if (isMsg(p.url_path)) return stringMatches(get(p.url_path, "path"), path);
  if (isMsg(p.header) && get(p.header, "name") === ":path") {
    const h = p.header;
    if (isMsg(h.string_match)) return stringMatches(h.string_match, path);
    if (typeof h.exact_match === "string") return h.exact_match === path;
    if (typeof h.prefix_match === "string") return path.startsWith(h.prefix_match);
  }
  const and = msgs(get(p, "and_rules", "rules"));
  if (and.length > 0) return and.every((q) => permissionMatches(q, path));
  const or = msgs(get(p, "or_rules", "rules"));
  if (or.length > 0) return or.some((q) => permissionMatches(q, path));
  if (isMsg(p.not_rule)) return !permissionMatches(p.not_rule, path);
  return false;
}

/** Every Permission inside `p`, itself included (through and/or/not). */
export function flattenPermissions(p: Decoded | undefined): DecodedMessage[] {
  if (!isMsg(p)) return [];
  return [
    p,
    ...msgs(get(p, "and_rules", "rules")).flatMap(flattenPermissions),
    ...msgs(get(p, "or_rules", "rules")).flatMap(flattenPermissions),
    ...flattenPermissions(p.not_rule),
  ];
}

/** The clusters by name. */
export function clustersByName(ctx: LintContext): Map<string, DecodedMessage> {
  const m = new Map<string, DecodedMessage>();
  for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
    if (typeof c.name === "string") m.set(c.name, c);
  }
  return m;
}

/** The UpstreamTlsContext of a cluster, if its transport socket is TLS. */
export function upstreamTls(cluster: DecodedMessage): DecodedMessage | undefined {
  const tc = get(cluster, "transport_socket", "typed_config");
  if (typeOf(tc) === `type.googleapis.com/${T.upstreamTls}` && isMsg(tc)) return tc;
  for (const m of msgs(cluster.transport_socket_matches)) {
    const t = get(m, "transport_socket", "typed_config");
    if (typeOf(t) === `type.googleapis.com/${T.upstreamTls}` && isMsg(t)) return t;
  }
  return undefined;
}

/** The validation contexts of a TLS context (plain, combined default, SDS-sourced marker). */
function validation(tls: DecodedMessage): { ctxs: DecodedMessage[]; sds: boolean } {
  const common = get(tls, "common_tls_context");
  const ctxs: DecodedMessage[] = [];
  const vc = get(common, "validation_context");
  if (isMsg(vc)) ctxs.push(vc);
  const dflt = get(common, "combined_validation_context", "default_validation_context");
  if (isMsg(dflt)) ctxs.push(dflt);
  const sds =
    isMsg(get(common, "validation_context_sds_secret_config")) ||
    isMsg(get(common, "combined_validation_context", "validation_context_sds_secret_config"));
  return { ctxs, sds };
}

/** Whether the peer certificate is verified against a trusted CA. */
export function hasTrustedCa(tls: DecodedMessage): boolean {
  const { ctxs, sds } = validation(tls);
  if (ctxs.some((c) => c.trust_chain_verification === "ACCEPT_UNTRUSTED")) return false;
  return sds || ctxs.some((c) => isMsg(c.trusted_ca) || isMsg(c.ca_certificate_provider_instance));
}

/** Whether the peer certificate's SAN is matched. */
export function hasSanMatch(tls: DecodedMessage): boolean {
  return validation(tls).ctxs.some(
    (c) =>
      msgs(c.match_typed_subject_alt_names).length > 0 ||
      msgs(c.match_subject_alt_names).length > 0,
  );
}
