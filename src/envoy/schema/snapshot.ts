/**
 * Writes the Envoy API snapshot that `protos.ts` loads: every package of the protos in
 * `@grpc/grpc-js-xds`, parsed once (at package build time, `scripts/build-envoy-api.mjs`),
 * as one protobufjs JSON file per package plus an index of the packages each refers to.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import protobuf from "protobufjs";
import {
  createEnvoyApi,
  envoyProtoRoots,
  SNAPSHOT_DIR,
  SNAPSHOT_INDEX,
  type SnapshotIndex,
  type SnapshotPackage,
  xdsVersion,
} from "./protos.js";

/** Every folder holding .proto files under `root`, as a package name. */
function packagesUnder(root: string, dir = root): string[] {
  const out: string[] = [];
  let hasProto = false;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...packagesUnder(root, p));
    else if (e.endsWith(".proto")) hasProto = true;
  }
  if (hasProto && dir !== root) out.push(relative(root, dir).split(sep).join("."));
  return out;
}

/** The package (a plain namespace) an object is declared in. */
function packageOf(o: protobuf.ReflectionObject): string {
  let p = o.parent;
  while (p && (p instanceof protobuf.Type || p instanceof protobuf.Service)) p = p.parent;
  return p ? p.fullName.replace(/^\./, "") : "";
}

interface Entry {
  nested: Record<string, unknown>;
  parsedOptions: Record<string, unknown[]>;
  deps: Set<string>;
}

/** Parses every package and writes the snapshot to `outDir`; returns its index. */
export function buildSnapshot(outDir: string = SNAPSHOT_DIR): SnapshotIndex {
  const api = createEnvoyApi(false);
  for (const r of envoyProtoRoots()) for (const pkg of packagesUnder(r)) api.loadPackage(pkg);
  const byPackage = new Map<string, Entry>();
  const entry = (pkg: string): Entry => {
    let e = byPackage.get(pkg);
    if (!e) {
      e = { nested: {}, parsedOptions: {}, deps: new Set() };
      byPackage.set(pkg, e);
    }
    return e;
  };
  const visitField = (f: protobuf.Field, e: Entry, pkg: string) => {
    if (f.parsedOptions) e.parsedOptions[f.fullName] = f.parsedOptions as unknown[];
    try {
      f.resolve();
    } catch {
      return; // unresolvable (a file skipped for missing imports): decode reports it
    }
    for (const t of [f.resolvedType, f.extensionField?.parent]) {
      const dep = t ? packageOf(t) : "";
      if (dep && dep !== pkg) e.deps.add(dep);
    }
  };
  const visitType = (t: protobuf.Type, e: Entry, pkg: string) => {
    for (const f of t.fieldsArray) visitField(f, e, pkg);
    for (const n of t.nestedArray) {
      if (n instanceof protobuf.Type) visitType(n, e, pkg);
      else if (n instanceof protobuf.Field) visitField(n, e, pkg);
    }
  };
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (
        child instanceof protobuf.Namespace &&
        !(child instanceof protobuf.Type) &&
        !(child instanceof protobuf.Service)
      ) {
        walk(child);
        continue;
      }
      // Extension fields are re-added with the package that declares them, not their sisters.
      if (child instanceof protobuf.Field && child.declaringField) continue;
      const pkg = ns.fullName.replace(/^\./, "");
      const e = entry(pkg);
      e.nested[child.name] = child.toJSON({ keepComments: false });
      if (child instanceof protobuf.Type) visitType(child, e, pkg);
      else if (child instanceof protobuf.Field) visitField(child, e, pkg);
    }
  };
  walk(api.root);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const packages: Record<string, { file: string; deps: string[] }> = {};
  for (const [pkg, e] of [...byPackage].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const file = `${pkg || "_root"}.json`;
    const json: SnapshotPackage = {
      nested: e.nested as SnapshotPackage["nested"],
      parsedOptions: e.parsedOptions,
    };
    writeFileSync(join(outDir, file), JSON.stringify(json));
    packages[pkg] = { file, deps: [...e.deps].sort() };
  }
  const index: SnapshotIndex = { xdsVersion: xdsVersion(), packages };
  writeFileSync(join(outDir, SNAPSHOT_INDEX), JSON.stringify(index));
  return index;
}
