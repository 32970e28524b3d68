/**
 * Writes the Envoy API snapshot that table.ts reads: every package of the protos in
 * `@grpc/grpc-js-xds`, parsed once (at package build time, `scripts/build-envoy-api.mjs`),
 * as the type table's records (records.ts), one file per package (table.ts packageFileText)
 * plus an index.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import protobuf from "protobufjs";
import { createEnvoyApi, envoyProtoRoots } from "./protos.js";
import { enumRecord, messageRecord, nameOf, packageOf } from "./records.js";
import {
  type PackageRecords,
  packageFileText,
  SNAPSHOT_DIR,
  SNAPSHOT_INDEX,
  type SnapshotIndex,
  snapshotVersion,
} from "./table.js";

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

/** Every message and enum type under `ns`, nested ones included. */
function* typesUnder(ns: protobuf.NamespaceBase): Generator<protobuf.Type | protobuf.Enum> {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type || child instanceof protobuf.Enum) yield child;
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type)
      yield* typesUnder(child);
  }
}

/** The records of every type of the parsed API, by package. */
export function tableRecords(): Map<string, PackageRecords> {
  const api = createEnvoyApi();
  for (const r of envoyProtoRoots()) for (const pkg of packagesUnder(r)) api.loadPackage(pkg);
  const byPackage = new Map<string, PackageRecords>();
  for (const t of typesUnder(api.root)) {
    const pkg = packageOf(t);
    let p = byPackage.get(pkg);
    if (!p) {
      p = { messages: {}, enums: {} };
      byPackage.set(pkg, p);
    }
    if (t instanceof protobuf.Type) p.messages[nameOf(t)] = messageRecord(t);
    else p.enums[nameOf(t)] = enumRecord(t);
  }
  return byPackage;
}

/** Parses every package and writes the snapshot to `outDir`; returns its index. */
export function buildSnapshot(outDir: string = SNAPSHOT_DIR): SnapshotIndex {
  const byPackage = tableRecords();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const packages: Record<string, string> = {};
  for (const [pkg, records] of [...byPackage].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const file = `${pkg || "_root"}.types`;
    writeFileSync(join(outDir, file), packageFileText(records));
    packages[pkg] = file;
  }
  const index: SnapshotIndex = { version: snapshotVersion(), packages };
  writeFileSync(join(outDir, SNAPSHOT_INDEX), JSON.stringify(index));
  return index;
}
