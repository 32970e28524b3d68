import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";
import { applyOverlay } from "./overlay.js";

/**
 * The Envoy v3 API as shipped in `@grpc/grpc-js-xds` (under `deps/`), never copied into
 * this repository, parsed with protobufjs. Packages are loaded lazily: a type name such as
 * `envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication` maps by convention to the
 * directory `envoy/extensions/filters/http/jwt_authn/v3/`.
 *
 * Validation does not read these objects but the type table (table.ts) made from them:
 * at package build time for the whole API (snapshot.ts), or on first use when no snapshot
 * matches (parsed.ts).
 */
export interface EnvoyApi {
  /** The protobufjs root holding everything loaded so far. */
  readonly root: protobuf.Root;
  /** A message type by full name, loading its package if needed; undefined if unknown. */
  lookupType(fullName: string): protobuf.Type | undefined;
  /** An enum by full name, loading its package if needed; undefined if unknown. */
  lookupEnum(fullName: string): protobuf.Enum | undefined;
  /** Loads a package (and what it needs) by name; a no-op when unknown or loaded. */
  loadPackage(name: string): void;
}

/** Root directories searched for imports, in order (envoy-api, xds, googleapis, PGV). */
export function envoyProtoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(pkg, "deps", d));
}

/** A fresh API over the `.proto` files (the Bootstrap's closure loaded). */
export function createEnvoyApi(): EnvoyApi {
  const root = new protobuf.Root();
  const loadPackage = protoLoader(root, envoyProtoRoots());
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
  const lookup = <T extends protobuf.ReflectionObject>(
    fullName: string,
    kind: new (...a: never[]) => T,
  ): T | undefined => {
    let t = find(fullName, kind);
    // Walk up the name: nested types live in their parent's package.
    const parts = fullName.split(".");
    for (let i = parts.length - 1; i > 0 && !t; i--) {
      loadPackage(parts.slice(0, i).join("."));
      t = find(fullName, kind);
    }
    return t;
  };
  loadPackage("envoy.config.bootstrap.v3");
  return {
    root,
    lookupType: (fullName) => lookup(fullName, protobuf.Type),
    lookupEnum: (fullName) => lookup(fullName, protobuf.Enum),
    loadPackage,
  };
}

/** Loads a package by parsing every `.proto` file in its directory (and their imports). */
function protoLoader(root: protobuf.Root, roots: readonly string[]): (pkg: string) => void {
  const require = createRequire(import.meta.url);
  const pbDir = dirname(require.resolve("protobufjs/package.json"));
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
  return (pkgName: string): void => {
    const rel = pkgName.split(".").join("/");
    if (loadedDirs.has(rel)) return;
    loadedDirs.add(rel);
    for (const r of roots) {
      let entries: string[];
      try {
        entries = readdirSync(join(r, rel));
      } catch {
        continue;
      }
      for (const f of entries.filter((e) => e.endsWith(".proto")).sort()) {
        try {
          root.loadSync(join(r, rel, f), { keepCase: true });
        } catch {
          // A file whose imports are not shipped (e.g. OpenTelemetry) is skipped;
          // its types stay unknown and are reported as unresolvable.
        }
      }
    }
    applyOverlay(root);
  };
}
