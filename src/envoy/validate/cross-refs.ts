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
