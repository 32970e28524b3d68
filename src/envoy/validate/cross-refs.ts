import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  connectionManagers,
  get,
  httpFilters,
  isMsg,
  type LintContext,
  msgs,
} from "../lint/model.js";
import type { DecodedMessage } from "../schema/decode.js";
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
export function crossReferences(ctx: LintContext): Issue[] {
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
  for (const u of ctx.all("envoy.config.core.v3.HttpUri")) needCluster(u, "cluster", "http_uri");

  for (const { hcm } of connectionManagers(ctx)) {
    const names = new Set(httpFilters(hcm).map((f) => String(f.filter.name)));
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
      out.push(issue(holder, isMsg(tc) ? "typed_config" : "name", "extension-config-missing", `${what} ${String(holder.name ?? "")} has no typed_config: Envoy finds no implementation for it`));
  };
  for (const f of ctx.all("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter")) extension(f, "http filter");
  for (const f of ctx.all("envoy.config.listener.v3.Filter")) extension(f, "network filter");
  for (const l of ctx.all("envoy.config.listener.v3.Listener")) {
    const chains = Array.isArray(l.filter_chains) ? l.filter_chains.length : 0;
    if (chains === 0 && !isMsg(l.default_filter_chain) && !isMsg(l.api_listener))
      out.push(issue(l, "name", "listener-no-filter-chains", `listener ${String(l.name ?? "")} has no filter chains`));
    if (!isMsg(l.address) && !isMsg(l.api_listener) && !isMsg(l.internal_listener))
      out.push(issue(l, "name", "listener-no-address", `listener ${String(l.name ?? "")} has no address`));
  }
  const secrets = new Set(
    msgs(get(ctx.config, "static_resources", "secrets")).map((s) => String(s.name)),
  );
  for (const s of ctx.all("envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig")) {
    if (!isMsg(s.sds_config) && typeof s.name === "string" && !secrets.has(s.name))
      out.push(issue(s, "name", "unknown-secret", `secret ${s.name} has no sds_config and is not a static secret`));
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
    if (!ok) out.push(issue(u, "uri", "invalid-uri", `${JSON.stringify(u.uri)} is not an http(s) URL`));
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
export function fileRefs(ctx: LintContext, baseDir: string): FileRef[] {
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

/** `missing-file` issues for refs that do not exist. */
export function missingFiles(refs: readonly FileRef[]): Issue[] {
  return refs
    .filter((r) => !existsSync(r.absolute))
    .map((r) => ({
      path: r.at,
      at: "value" as const,
      rule: "missing-file",
      severity: "error" as const,
      message: `file ${r.path} does not exist (resolved to ${r.absolute}; use --no-files to skip file checks)`,
    }));
}
