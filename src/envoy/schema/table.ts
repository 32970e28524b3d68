/**
 * The Envoy API as validation reads it: a table of message and enum types by full name,
 * each holding only what the decoder and the PGV checks use. The package build writes the
 * table for the whole API (`dist/envoy-api/`, one file per proto package, snapshot.ts);
 * a run reads the packages of the types it meets, when it meets them, and turns a record
 * into a type on first lookup. No protobuf library is loaded for it: building protobufjs
 * objects for the Bootstrap's closure was a third of a validation run.
 *
 * Without a snapshot for the installed `@grpc/grpc-js-xds` (running from `src/` before a
 * build, or another version installed), the `.proto` files are parsed (parsed.ts) and their
 * types go through the same records (records.ts), so both sources give the same table.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OVERLAY_VERSION } from "./overlay-version.js";

/** PGV rules of a field (`(validate.rules)`), merged from all its option statements. */
export type Rules = Record<string, unknown>;

/** A field as stored. Short keys: the table is read on every run. */
export interface FieldRecord {
  /** Proto name. */
  n: string;
  /** JSON name (`json_name`, else the lowerCamelCase of `n`), when not `n` itself. */
  j?: string;
  /** The type as declared: a scalar (`string`, `uint32`…) or a type reference. */
  t: string;
  /** What the type resolved to: scalar, enum, message, or unresolved (its file's imports are not shipped). */
  k: "s" | "e" | "m" | "u";
  /** Full name of the enum or message type. */
  y?: string;
  /** Repeated (not a map). */
  r?: 1;
  /** Map key type (a map field; `t`/`k`/`y` describe its values). */
  mk?: string;
  /** Oneof it belongs to (proto3 `optional` fields included). */
  o?: string;
  /** `deprecated = true`. */
  d?: 1;
  /** `(envoy.annotations.disallowed_by_default) = true`. */
  x?: 1;
  /** PGV rules. */
  v?: Rules;
}

/** A message type as stored. */
export interface MessageRecord {
  f: FieldRecord[];
  /** `(validate.disabled)` or `(validate.ignored)`: no PGV rule applies. */
  p?: 1;
  /** Oneofs with `(validate.required)`: name and member fields. */
  q?: [string, string[]][];
}

/** An enum as stored. */
export interface EnumRecord {
  /** Value names to numbers, in declaration order. */
  v: Record<string, number>;
  /** Numbers whose name is not the first name declared with it (aliases). */
  i?: Record<string, string>;
  /** Deprecated value names. */
  d?: string[];
  /** Value names disallowed by default (`(envoy.annotations.disallowed_by_default_enum)`). */
  x?: string[];
}

/** The types of one package by full name. */
export interface PackageRecords {
  messages: Record<string, MessageRecord>;
  enums: Record<string, EnumRecord>;
}

/** Where each record of a package file is: [start, end) in the text after the header line. */
interface PackageHeader {
  messages: Record<string, [number, number]>;
  enums: Record<string, [number, number]>;
}

/**
 * A package file: one header line (JSON: each type's place), then the records' JSON one after
 * another. A run parses the header and only the records of the types it meets (a config
 * reaches about 120 of the 2,000 messages in the packages it touches), not whole packages.
 */
export function packageFileText(records: PackageRecords): string {
  const header: PackageHeader = { messages: {}, enums: {} };
  let body = "";
  for (const kind of ["messages", "enums"] as const) {
    for (const [name, record] of Object.entries(records[kind])) {
      const json = JSON.stringify(record);
      header[kind][name] = [body.length, body.length + json.length];
      body += json;
    }
  }
  return `${JSON.stringify(header)}\n${body}`;
}

/** Reads records from a package file's text, each on first request. */
function packageFile(text: string) {
  const nl = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, nl)) as PackageHeader;
  const at = (place: [number, number] | undefined) =>
    place && JSON.parse(text.slice(nl + 1 + place[0], nl + 1 + place[1]));
  return {
    header,
    message: (name: string): MessageRecord | undefined =>
      Object.hasOwn(header.messages, name) ? at(header.messages[name]) : undefined,
    enumType: (name: string): EnumRecord | undefined =>
      Object.hasOwn(header.enums, name) ? at(header.enums[name]) : undefined,
  };
}

/** Every record of a package file's text (the snapshot test reads whole packages). */
export function readPackageFile(text: string): PackageRecords {
  const file = packageFile(text);
  const all = (names: Record<string, unknown>, one: (n: string) => unknown) =>
    Object.fromEntries(Object.keys(names).map((n) => [n, one(n)]));
  return {
    messages: all(file.header.messages, file.message) as PackageRecords["messages"],
    enums: all(file.header.enums, file.enumType) as PackageRecords["enums"],
  };
}

/** The snapshot's index: which file holds each package. */
export interface SnapshotIndex {
  /** Table format and `@grpc/grpc-js-xds` version (with overlays) it was made from. */
  readonly version: string;
  readonly packages: Readonly<Record<string, string>>;
}

/** A field of a message type. */
export interface FieldInfo {
  readonly name: string;
  readonly jsonName: string;
  /** Full name of the message declaring it. */
  readonly owner: string;
  /** The declared type: a scalar name for scalar fields. */
  readonly type: string;
  readonly kind: "scalar" | "enum" | "message" | "unresolved";
  /** Full name of the enum or message type. */
  readonly typeName: string | undefined;
  readonly repeated: boolean;
  /** Key type of a map field, else undefined. */
  readonly mapKey: string | undefined;
  readonly oneof: string | undefined;
  readonly deprecated: boolean;
  readonly disallowed: boolean;
  readonly rules: Rules | undefined;
}

/** A message type. */
export interface MessageInfo {
  readonly name: string;
  /** In declaration order. */
  readonly fields: readonly FieldInfo[];
  /** Fields by proto name and by JSON name. */
  readonly byKey: ReadonlyMap<string, FieldInfo>;
  readonly pgvDisabled: boolean;
  readonly requiredOneofs: readonly { readonly name: string; readonly fields: readonly string[] }[];
}

/** An enum type. */
export interface EnumInfo {
  readonly name: string;
  /** Names to numbers, in declaration order. */
  readonly values: ReadonlyMap<string, number>;
  /** Numbers to the name they read back as. */
  readonly byNumber: ReadonlyMap<number, string>;
  readonly deprecated: ReadonlySet<string>;
  readonly disallowed: ReadonlySet<string>;
}

/** The Envoy API's types by full name (e.g. `envoy.config.bootstrap.v3.Bootstrap`). */
export interface EnvoyTypes {
  message(fullName: string): MessageInfo | undefined;
  enumType(fullName: string): EnumInfo | undefined;
  /** Where the types come from. */
  readonly source: "snapshot" | "protos";
}

/** Bump when the records' shape or meaning changes: a snapshot of another format is not read. */
export const TABLE_FORMAT = "table-2";

/**
 * Where the build writes the snapshot: `dist/envoy-api/`. The package root is three folders
 * up from this module in `dist/envoy/schema/`, in the CLI bundle (`dist/cli/bundle/`) and in
 * `src/envoy/schema/`: tests run from `src/` read the built snapshot too, the table the
 * package ships (the snapshot test checks it is the one the code in `src/` writes).
 */
export const SNAPSHOT_DIR = fileURLToPath(new URL("../../../dist/envoy-api/", import.meta.url));
export const SNAPSHOT_INDEX = "index.json";

/** What a snapshot must have been made from: table format, protos' version, overlays. */
export function snapshotVersion(): string {
  const require = createRequire(import.meta.url);
  const xds = (require("@grpc/grpc-js-xds/package.json") as { version: string }).version;
  return `${TABLE_FORMAT}+${xds}+${OVERLAY_VERSION}`;
}

/** A message type from its record. */
export function messageInfo(name: string, record: MessageRecord): MessageInfo {
  const fields = record.f.map(
    (f): FieldInfo => ({
      name: f.n,
      jsonName: f.j ?? f.n,
      owner: name,
      type: f.t,
      kind: f.k === "s" ? "scalar" : f.k === "e" ? "enum" : f.k === "m" ? "message" : "unresolved",
      typeName: f.y,
      repeated: f.r === 1,
      mapKey: f.mk,
      oneof: f.o,
      deprecated: f.d === 1,
      disallowed: f.x === 1,
      rules: f.v,
    }),
  );
  const byKey = new Map<string, FieldInfo>();
  for (const f of fields) {
    byKey.set(f.name, f);
    byKey.set(f.jsonName, f);
  }
  return {
    name,
    fields,
    byKey,
    pgvDisabled: record.p === 1,
    requiredOneofs: (record.q ?? []).map(([oneof, members]) => ({ name: oneof, fields: members })),
  };
}

/** An enum type from its record. */
export function enumInfo(name: string, record: EnumRecord): EnumInfo {
  const values = new Map(Object.entries(record.v));
  const byNumber = new Map<number, string>();
  for (const [n, v] of values) if (!byNumber.has(v)) byNumber.set(v, n);
  for (const [v, n] of Object.entries(record.i ?? {})) byNumber.set(Number(v), n);
  return {
    name,
    values,
    byNumber,
    deprecated: new Set(record.d),
    disallowed: new Set(record.x),
  };
}

/**
 * Types looked up by full name through `records(name)`, each built once. `records` finds
 * the record of a type (loading what holds it), or undefined for an unknown name.
 */
export function typeTable(
  source: EnvoyTypes["source"],
  records: (fullName: string) => { message?: MessageRecord; enum?: EnumRecord } | undefined,
): EnvoyTypes {
  const messages = new Map<string, MessageInfo | undefined>();
  const enums = new Map<string, EnumInfo | undefined>();
  return {
    source,
    message(fullName) {
      if (!messages.has(fullName)) {
        const r = records(fullName)?.message;
        messages.set(fullName, r && messageInfo(fullName, r));
      }
      return messages.get(fullName);
    },
    enumType(fullName) {
      if (!enums.has(fullName)) {
        const r = records(fullName)?.enum;
        enums.set(fullName, r && enumInfo(fullName, r));
      }
      return enums.get(fullName);
    },
  };
}

/** The snapshot in `dir` when it matches the installed protos, else undefined. */
export function snapshotTypes(dir: string = SNAPSHOT_DIR): EnvoyTypes | undefined {
  let index: SnapshotIndex;
  try {
    index = JSON.parse(readFileSync(join(dir, SNAPSHOT_INDEX), "utf8")) as SnapshotIndex;
  } catch {
    return undefined;
  }
  if (index.version !== snapshotVersion()) return undefined;
  const loaded = new Map<string, ReturnType<typeof packageFile>>();
  const pkg = (name: string) => {
    if (!Object.hasOwn(index.packages, name)) return undefined;
    let p = loaded.get(name);
    if (!p) {
      p = packageFile(readFileSync(join(dir, index.packages[name] as string), "utf8"));
      loaded.set(name, p);
    }
    return p;
  };
  return typeTable("snapshot", (fullName) => {
    // A type lives in the package that is the longest proper prefix of its name that has one
    // (nested types share their parent's package).
    const parts = fullName.split(".");
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = pkg(parts.slice(0, i).join("."));
      if (!p) continue;
      const message = p.message(fullName);
      const e = p.enumType(fullName);
      if (message || e) return { message, enum: e };
    }
    return undefined;
  });
}
