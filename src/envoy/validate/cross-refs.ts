import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isIP } from "../ip.js";
import type { ConfigQuery } from "../query/config.js";
import { connectionManagers, httpFilters } from "../query/http.js";
import { FILTER_TYPES } from "../query/type-names.js";
import { get, isMsg, msgs } from "../query/values.js";
import type { Decoded, DecodedMessage } from "../schema/decoded.js";
import { type Issue, type Path, pathOf } from "../schema/issue.js";

/**
 * Rule ids of checks Envoy itself makes when loading a config (beyond schema
 * and PGV): a config with one of these fails `envoy --mode validate`.
 */
export const ENVOY_LOAD_RULES: ReadonlySet<string> = new Set([
  "unknown-cluster",
  "duplicate-name",
  "missing-file",
  "sds-needs-node",
  "extension-config-missing",
  "listener-no-filter-chains",
  "listener-no-address",
  "unknown-secret",
  "invalid-uri",
  "jwt-unknown-provider",
  "bad-ip-address",
  "tls-no-certificate",
  "unknown-protocol-options",
  "terminal-filter-not-last",
  "endpoint-no-address",
]);

/** A file named by the config (SDS path, watched directory, DataSource filename). */
export interface FileRef {
  readonly path: string;
  readonly absolute: string;
  readonly at: Path;
  /** An SDS file: its resources are validated too. */
  readonly sds: boolean;
}

const issue = (node: object, field: string | undefined, rule: string, message: string): Issue => ({
  path: pathOf(node, field),
  at: "value",
  rule,
  severity: "error",
  message,
});

/** Names that must resolve: route and JWKS clusters, per-filter config keys, SDS needs a node. */
export function crossReferences(ctx: ConfigQuery): Issue[] {
  const out: Issue[] = [];
  const clusters = new Set<string>();
  for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
    if (typeof c.name !== "string") continue;
    if (clusters.has(c.name))
      out.push(issue(c, "name", "duplicate-name", `cluster name ${c.name} is used twice`));
    clusters.add(c.name);
  }
  const listeners = new Set<string>();
  for (const l of msgs(get(ctx.config, "static_resources", "listeners"))) {
    if (typeof l.name !== "string" || l.name === "") continue;
    if (listeners.has(l.name))
      out.push(issue(l, "name", "duplicate-name", `listener name ${l.name} is used twice`));
    listeners.add(l.name);
  }
  const needCluster = (node: DecodedMessage, field: string, what: string) => {
    const name = node[field];
    if (typeof name === "string" && name !== "" && !clusters.has(name))
      out.push(
        issue(
          node,
          field,
          "unknown-cluster",
          `${what} names cluster ${name}, which is not defined`,
        ),
      );
  };
  for (const a of ctx.all("envoy.config.route.v3.RouteAction")) {
    needCluster(a, "cluster", "route");
    for (const w of msgs(get(a, "weighted_clusters", "clusters")))
      needCluster(w, "name", "weighted route");
  }
  for (const u of ctx.all("envoy.config.core.v3.HttpUri")) {
    // Envoy loads a config whose JWKS cluster is missing; every token then fails.
    const name = u.cluster;
    if (typeof name === "string" && name !== "" && !clusters.has(name))
      out.push(
        issue(
          u,
          "cluster",
          "http-uri-unknown-cluster",
          `http_uri names cluster ${name}, which is not defined: fetches (e.g. JWKS) will fail`,
        ),
      );
  }
  for (const jwt of ctx.all("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication")) {
    const providers = new Set(isMsg(jwt.providers) ? Object.keys(jwt.providers) : []);
    const requirements = new Set(
      isMsg(jwt.requirement_map) ? Object.keys(jwt.requirement_map) : [],
    );
    const needProvider = (node: DecodedMessage) => {
      if (typeof node.provider_name === "string" && !providers.has(node.provider_name))
        out.push(
          issue(
            node,
            "provider_name",
            "jwt-unknown-provider",
            `jwt_authn requires provider ${node.provider_name}, which is not configured`,
          ),
        );
    };
    const walk = (req: DecodedMessage) => {
      needProvider(req);
      if (isMsg(req.provider_and_audiences)) needProvider(req.provider_and_audiences);
      for (const r of msgs(get(req, "requires_any", "requirements"))) walk(r);
      for (const r of msgs(get(req, "requires_all", "requirements"))) walk(r);
    };
    for (const rule of msgs(jwt.rules)) {
      if (isMsg(rule.requires)) walk(rule.requires);
      if (typeof rule.requirement_name === "string" && !requirements.has(rule.requirement_name))
        out.push(
          issue(
            rule,
            "requirement_name",
            "jwt-unknown-provider",
            `jwt_authn rule names requirement ${rule.requirement_name}, which is not in requirement_map`,
          ),
        );
    }
    if (isMsg(jwt.requirement_map))
      for (const r of Object.values(jwt.requirement_map)) if (isMsg(r)) walk(r);
  }

  for (const { hcm } of connectionManagers(ctx)) {
    // Envoy refuses a chain whose terminal filter (the router) is not the last one.
    const chain = httpFilters(hcm);
    const router = chain.findIndex((f) => f.type === FILTER_TYPES.router);
    if (router >= 0 && router < chain.length - 1)
      out.push(
        issue(
          chain[router]?.filter ?? hcm,
          "name",
          "terminal-filter-not-last",
          "the router ends the filter chain and must be the last HTTP filter; Envoy refuses this chain",
        ),
      );
    // ...and one that ends with a filter known not to be terminal (no router after it).
    const last = chain.at(-1);
    const nonTerminal: readonly (string | undefined)[] = Object.values(FILTER_TYPES).filter(
      (t) => t !== FILTER_TYPES.router,
    );
    if (router < 0 && last !== undefined && nonTerminal.includes(last.type))
      out.push(
        issue(
          last.filter,
          "name",
          "terminal-filter-not-last",
          "the last HTTP filter must be the router (a terminal filter); Envoy refuses a chain that ends with this one",
        ),
      );
    const names = new Set(chain.map((f) => String(f.filter.name)));
    const check = (holder: DecodedMessage) => {
      const tpfc = holder.typed_per_filter_config;
      if (!isMsg(tpfc)) return;
      for (const key of Object.keys(tpfc)) {
        if (!names.has(key))
          out.push({
            path: [...pathOf(holder, "typed_per_filter_config"), key],
            at: "key",
            rule: "unknown-filter-config",
            severity: "error",
            message: `typed_per_filter_config key ${key} names no filter in the http_filters chain`,
          });
      }
    };
    for (const vh of msgs(get(hcm, "route_config", "virtual_hosts"))) {
      check(vh);
      for (const r of msgs(vh.routes)) {
        check(r);
        for (const w of msgs(get(r, "route", "weighted_clusters", "clusters"))) check(w);
      }
    }
  }

  // Checks Envoy makes when it builds the config (not in the schema).
  const extension = (holder: DecodedMessage, what: string) => {
    const tc = holder.typed_config;
    const hasType = isMsg(tc) && typeof tc["@type"] === "string";
    if (!hasType && !isMsg(holder.config_discovery))
      out.push(
        issue(
          holder,
          isMsg(tc) ? "typed_config" : "name",
          "extension-config-missing",
          `${what} ${String(holder.name ?? "")} has no typed_config: Envoy finds no implementation for it`,
        ),
      );
  };
  for (const f of ctx.all("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter"))
    extension(f, "http filter");
  for (const f of ctx.all("envoy.config.listener.v3.Filter")) extension(f, "network filter");
  for (const t of ctx.all("envoy.config.core.v3.TransportSocket")) extension(t, "transport socket");
  for (const e of ctx.all("envoy.config.endpoint.v3.Endpoint")) {
    if (!isMsg(e.address))
      out.push(
        issue(e, "address", "endpoint-no-address", "endpoint has no address: Envoy refuses it"),
      );
  }
  // Envoy finds protocol options by key: the options' message name (or a network filter's name).
  for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
    const opts = c.typed_extension_protocol_options;
    if (!isMsg(opts)) continue;
    for (const [key, any] of Object.entries(opts)) {
      const t =
        isMsg(any) && typeof any["@type"] === "string"
          ? any["@type"].slice(any["@type"].lastIndexOf("/") + 1)
          : undefined;
      if (key !== t && !key.startsWith("envoy.filters.network."))
        out.push({
          path: [...pathOf(opts), key],
          at: "key",
          rule: "unknown-protocol-options",
          severity: "error",
          message: `typed_extension_protocol_options key ${key} names no protocol options extension${t ? ` (expected ${t})` : ""}`,
        });
    }
  }
  for (const l of ctx.all("envoy.config.listener.v3.Listener")) {
    const chains = Array.isArray(l.filter_chains) ? l.filter_chains.length : 0;
    if (chains === 0 && !isMsg(l.default_filter_chain) && !isMsg(l.api_listener))
      out.push(
        issue(
          l,
          "name",
          "listener-no-filter-chains",
          `listener ${String(l.name ?? "")} has no filter chains`,
        ),
      );
    if (!isMsg(l.address) && !isMsg(l.api_listener) && !isMsg(l.internal_listener))
      out.push(
        issue(l, "name", "listener-no-address", `listener ${String(l.name ?? "")} has no address`),
      );
  }
  const secrets = new Set(
    msgs(get(ctx.config, "static_resources", "secrets")).map((s) => String(s.name)),
  );
  for (const s of ctx.all("envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig")) {
    if (!isMsg(s.sds_config) && typeof s.name === "string" && !secrets.has(s.name))
      out.push(
        issue(
          s,
          "name",
          "unknown-secret",
          `secret ${s.name} has no sds_config and is not a static secret`,
        ),
      );
  }
  for (const u of ctx.all("envoy.config.core.v3.HttpUri")) {
    if (typeof u.uri !== "string") continue;
    let ok = false;
    try {
      const url = new URL(u.uri);
      ok = (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
    } catch {
      ok = false;
    }
    if (!ok)
      out.push(issue(u, "uri", "invalid-uri", `${JSON.stringify(u.uri)} is not an http(s) URL`));
  }

  for (const t of ctx.all("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext")) {
    const c = t.common_tls_context;
    const has =
      msgs(get(c, "tls_certificates")).length > 0 ||
      msgs(get(c, "tls_certificate_sds_secret_configs")).length > 0 ||
      isMsg(get(c, "tls_certificate_provider_instance")) ||
      isMsg(get(c, "custom_tls_certificate_selector"));
    if (!has)
      out.push(
        issue(
          t,
          "common_tls_context",
          "tls-no-certificate",
          "the listener's TLS context has no certificate",
        ),
      );
  }

  // Listeners, the admin and STATIC clusters bind or connect to IP addresses, not names.
  const needIp = (addr: Decoded | undefined, what: string) => {
    const sa = get(addr, "socket_address");
    if (!isMsg(sa) || typeof sa.address !== "string") return;
    if (isMsg(sa.resolver_name) || typeof sa.resolver_name === "string") return;
    if (isIP(sa.address) === 0)
      out.push(
        issue(
          sa,
          "address",
          "bad-ip-address",
          `${what} address ${JSON.stringify(sa.address)} is not an IP address`,
        ),
      );
  };
  for (const l of ctx.all("envoy.config.listener.v3.Listener"))
    needIp(l.address, `listener ${String(l.name ?? "")}`);
  for (const a of ctx.all("envoy.config.bootstrap.v3.Admin")) needIp(a.address, "admin");
  for (const c of msgs(get(ctx.config, "static_resources", "clusters"))) {
    if ((c.type ?? "STATIC") !== "STATIC" || isMsg(c.cluster_type)) continue;
    for (const e of msgs(get(c, "load_assignment", "endpoints")))
      for (const lb of msgs(e.lb_endpoints))
        needIp(get(lb, "endpoint", "address"), `STATIC cluster ${String(c.name ?? "")} endpoint`);
  }

  const usesPathSds = ctx.all("envoy.config.core.v3.PathConfigSource").length > 0;
  const node = ctx.config.node;
  if (usesPathSds && (!isMsg(node) || !node.id || !node.cluster)) {
    out.push({
      path: isMsg(node) ? pathOf(node) : [],
      at: isMsg(node) ? "key" : "value",
      rule: "sds-needs-node",
      severity: "error",
      message:
        "SDS from files needs node.id and node.cluster (Envoy refuses to start without them)",
    });
  }
  return out;
}

/** Files the config names, resolved against `baseDir`. */
export function fileRefs(ctx: ConfigQuery, baseDir: string): FileRef[] {
  const refs: FileRef[] = [];
  const add = (node: DecodedMessage, field: string, sds: boolean) => {
    const p = node[field];
    if (typeof p !== "string" || p === "") return;
    refs.push({
      path: p,
      absolute: isAbsolute(p) ? p : resolve(baseDir, p),
      at: pathOf(node, field),
      sds,
    });
  };
  for (const s of ctx.all("envoy.config.core.v3.PathConfigSource")) add(s, "path", true);
  for (const w of ctx.all("envoy.config.core.v3.WatchedDirectory")) add(w, "path", false);
  for (const d of ctx.all("envoy.config.core.v3.DataSource")) add(d, "filename", false);
  return refs;
}

/**
 * `missing-file` issues for refs that do not exist. A relative path (resolved
 * against the config's folder) or an absolute path inside that folder is an
 * error. An absolute path elsewhere names where the files live on the machine
 * that runs Envoy (a drop-in bundle points at `/etc/envoy/...`), so when it is
 * missing here it is a warning, not a failure: the config is still valid.
 */
export function missingFiles(refs: readonly FileRef[], baseDir: string): Issue[] {
  const inside = `${resolve(baseDir)}/`;
  return refs
    .filter((r) => !existsSync(r.absolute))
    .map((r): Issue => {
      const elsewhere = isAbsolute(r.path) && !r.absolute.startsWith(inside);
      return {
        path: r.at,
        at: "value",
        rule: "missing-file",
        severity: elsewhere ? "warning" : "error",
        message: elsewhere
          ? `warning: absolute path ${r.path} does not exist on this machine (checked where Envoy runs; use --no-files to skip file checks)`
          : `file ${r.path} does not exist (resolved to ${r.absolute}; use --no-files to skip file checks)`,
      };
    });
}
