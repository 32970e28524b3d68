/** The generated Envoy config, and the same config with parts taken out, for comparisons. */
import { parseDocument } from "yaml";

const AUTH_TYPES = [
  "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
  "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
];

/** Walks every object of a parsed config. */
function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const x of node) walk(x, visit);
  else if (node && typeof node === "object") {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

function edit(yamlText: string, change: (config: unknown) => void): string {
  const config = parseDocument(yamlText).toJS();
  change(config);
  return JSON.stringify(config, null, 1); // JSON is YAML; Envoy reads either
}

/**
 * The same config without jwt_authn and every RBAC filter (per-method access and the
 * access-token checks that read jwt_authn's payload), and their per-route settings.
 */
export function withoutAuthFilters(yamlText: string): string {
  return edit(yamlText, (config) => {
    const removed = new Set<string>();
    walk(config, (o) => {
      if (!Array.isArray(o.http_filters)) return;
      o.http_filters = o.http_filters.filter(
        (f: { name: string; typed_config?: { "@type"?: string } }) => {
          const auth = AUTH_TYPES.includes(f.typed_config?.["@type"] ?? "");
          if (auth) removed.add(f.name);
          return !auth;
        },
      );
    });
    walk(config, (o) => {
      const perFilter = o.typed_per_filter_config as Record<string, unknown> | undefined;
      if (perFilter) for (const name of removed) delete perFilter[name];
    });
  });
}

/** The same config with jwt_authn verifying every request (no jwt_cache_config): before. */
export function withoutJwtCache(yamlText: string): string {
  return edit(yamlText, (config) =>
    walk(config, (o) => {
      if ("jwt_cache_config" in o) delete o.jwt_cache_config;
    }),
  );
}
