import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";
import { applyOverlay } from "./overlay.js";

/**
 * The Envoy v3 API as shipped in `@grpc/grpc-js-xds` (under `deps/`), read at
 * runtime — never copied into this repository. Packages are loaded lazily: a
 * type name such as `envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`
 * maps by convention to the directory `envoy/extensions/filters/http/jwt_authn/v3/`,
 * and every `.proto` file there is parsed on first use.
 */
export interface EnvoyApi {
  /** The protobufjs root holding everything loaded so far. */
  readonly root: protobuf.Root;
  /** A message type by full name, loading its package if needed; undefined if unknown. */
  lookupType(fullName: string): protobuf.Type | undefined;
  /** An enum by full name (already loaded through a message that uses it). */
  lookupEnum(fullName: string): protobuf.Enum | undefined;
}

let api: EnvoyApi | undefined;

/** Root directories searched for imports, in order (envoy-api, xds, googleapis, PGV). */
export function envoyProtoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(pkg, "deps", d));
}

/** The shared, lazily loaded Envoy API (loads the Bootstrap closure on first call). */
export function envoyApi(): EnvoyApi {
  if (api) return api;
  const require = createRequire(import.meta.url);
  const pbDir = dirname(require.resolve("protobufjs/package.json"));
  const roots = envoyProtoRoots();
  const root = new protobuf.Root();
  // google/protobuf/* come from protobufjs itself (bundled "common" definitions
  // or its descriptor.proto), so options extending descriptors resolve.
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("google/protobuf/")) {
      const own = join(pbDir, target);
      return existsSync(own) ? own : target;
    }
    for (const r of roots) {
      const p = join(r, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  const loadedDirs = new Set<string>();
  const loadPackage = (pkgName: string): void => {
    const rel = pkgName.split(".").join("/");
    if (loadedDirs.has(rel)) return;
    loadedDirs.add(rel);
    for (const r of roots) {
      const dir = join(r, rel);
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      for (const f of entries.filter((e) => e.endsWith(".proto")).sort()) {
        try {
          root.loadSync(join(dir, f), { keepCase: true });
        } catch {
          // A file whose imports are not shipped (e.g. OpenTelemetry) is skipped;
          // its types stay unknown and are reported as unresolvable.
        }
      }
    }
    applyOverlay(root);
  };
  const find = <T extends protobuf.ReflectionObject>(
    name: string,
    kind: new (...a: never[]) => T,
  ): T | undefined => {
    try {
      const o = root.lookup(name.startsWith(".") ? name : `.${name}`);
      return o instanceof kind ? o : undefined;
    } catch {
      return undefined;
    }
  };
  const lookupType = (fullName: string): protobuf.Type | undefined => {
    let t = find(fullName, protobuf.Type);
    if (t) return t;
    // Walk up the name: nested messages live in their parent's package.
    const parts = fullName.split(".");
    for (let i = parts.length - 1; i > 0 && !t; i--) {
      loadPackage(parts.slice(0, i).join("."));
      t = find(fullName, protobuf.Type);
    }
    return t;
  };
  loadPackage("envoy.config.bootstrap.v3");
  api = {
    root,
    lookupType,
    lookupEnum: (fullName) => find(fullName, protobuf.Enum),
  };
  return api;
}
