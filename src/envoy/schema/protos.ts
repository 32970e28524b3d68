import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { applyOverlay, OVERLAY_VERSION } from "./overlay.js";

/**
 * The Envoy v3 API as shipped in `@grpc/grpc-js-xds` (under `deps/`), never copied into
 * this repository. Packages are loaded lazily: a type name such as
 * `envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication` maps by convention to the
 * directory `envoy/extensions/filters/http/jwt_authn/v3/`.
 *
 * Two sources, one result: the package build (`npm run build`) parses every `.proto` once
 * and writes a snapshot (`dist/envoy-api/`, one JSON per package and an index of their
 * dependencies), which a run loads package by package; without a snapshot (running from
 * `src/`, or a snapshot of another `@grpc/grpc-js-xds` version) the `.proto` files of each
 * package are parsed on first use. Parsing was a quarter of a validation run; reading the
 * snapshot costs a fraction of it.
 */
export interface EnvoyApi {
  /** The protobufjs root holding everything loaded so far. */
  readonly root: protobuf.Root;
  /** A message type by full name, loading its package if needed; undefined if unknown. */
  lookupType(fullName: string): protobuf.Type | undefined;
  /** An enum by full name (already loaded through a message that uses it). */
  lookupEnum(fullName: string): protobuf.Enum | undefined;
  /** Loads a package (and what it needs) by name; a no-op when unknown or loaded. */
  loadPackage(name: string): void;
  /** Where the types come from. */
  readonly source: "snapshot" | "protos";
}

/** The snapshot's index: for each package, its file and the packages its types refer to. */
export interface SnapshotIndex {
  /** `@grpc/grpc-js-xds` version the snapshot was made from; another version parses protos. */
  readonly xdsVersion: string;
  readonly packages: Readonly<Record<string, { readonly file: string; readonly deps: string[] }>>;
}

/** One package in the snapshot: its types as protobufjs JSON, and the fields' parsed options. */
export interface SnapshotPackage {
  readonly nested: protobuf.INamespace["nested"];
  /** Field full name → `parsedOptions` (protobufjs JSON keeps only the flattened `options`). */
  readonly parsedOptions: Readonly<Record<string, unknown[]>>;
}

/** Where the build writes the snapshot: `dist/envoy-api/`, beside `dist/envoy/`. */
export const SNAPSHOT_DIR = fileURLToPath(new URL("../../envoy-api/", import.meta.url));
export const SNAPSHOT_INDEX = "index.json";

let api: EnvoyApi | undefined;

/** Root directories searched for imports, in order (envoy-api, xds, googleapis, PGV). */
export function envoyProtoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(pkg, "deps", d));
}

/**
 * The version of `@grpc/grpc-js-xds` whose protos are read, with the overlays applied to them:
 * a snapshot built before an overlay changed is stale too.
 */
export function xdsVersion(): string {
  const require = createRequire(import.meta.url);
  const version = (require("@grpc/grpc-js-xds/package.json") as { version: string }).version;
  return `${version}+${OVERLAY_VERSION}`;
}

/** The shared, lazily loaded Envoy API (loads the Bootstrap closure on first call). */
export function envoyApi(): EnvoyApi {
  api ??= createEnvoyApi();
  return api;
}

/**
 * A fresh API. `snapshotDir` undefined: the shipped snapshot when it matches the installed
 * protos; `false`: parse the `.proto` files (what the snapshot build itself uses).
 */
export function createEnvoyApi(snapshotDir: string | false = SNAPSHOT_DIR): EnvoyApi {
  const root = new protobuf.Root();
  const index = snapshotDir === false ? undefined : readIndex(snapshotDir);
  const loadPackage =
    index && snapshotDir !== false
      ? snapshotLoader(root, snapshotDir, index)
      : protoLoader(root, envoyProtoRoots());
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
  return {
    root,
    lookupType,
    lookupEnum: (fullName) => find(fullName, protobuf.Enum),
    loadPackage,
    source: index ? "snapshot" : "protos",
  };
}

function readIndex(dir: string): SnapshotIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(join(dir, SNAPSHOT_INDEX), "utf8")) as SnapshotIndex;
    return index.xdsVersion === xdsVersion() ? index : undefined;
  } catch {
    return undefined;
  }
}

/** Loads a package and, first, the packages its types refer to, from snapshot JSON. */
function snapshotLoader(
  root: protobuf.Root,
  dir: string,
  index: SnapshotIndex,
): (pkg: string) => void {
  const loaded = new Set<string>();
  const load = (pkg: string): void => {
    const entry = index.packages[pkg];
    if (!entry || loaded.has(pkg)) return;
    loaded.add(pkg);
    for (const dep of entry.deps) load(dep);
    const json = JSON.parse(readFileSync(join(dir, entry.file), "utf8")) as SnapshotPackage;
    const ns = root.define(pkg);
    ns.addJSON(json.nested ?? {});
    for (const [name, options] of Object.entries(json.parsedOptions)) {
      const field = root.lookup(name);
      if (field instanceof protobuf.Field) field.parsedOptions = options as never;
    }
    // As a parsed load does: fields know their types before anyone reads them.
    resolveFields(ns);
  };
  return load;
}

/** Resolves every field under `ns`; one that cannot resolve stays unresolved (decode reports it). */
function resolveFields(ns: protobuf.NamespaceBase): void {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) {
      for (const f of child.fieldsArray) {
        try {
          f.resolve();
        } catch {
          // Left unresolved, as when a file's imports are missing.
        }
      }
      resolveFields(child);
    } else if (child instanceof protobuf.Field) {
      try {
        child.resolve();
      } catch {
        // An extension of a type that is not loaded.
      }
    }
  }
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
