/**
 * protobufjs reflection → the type table's records (table.ts): for each message and enum,
 * exactly what validation reads (fields, JSON names, resolved types, oneofs, deprecation,
 * PGV rules merged from every option statement), as plain JSON. The package build writes
 * records for the whole Envoy API (snapshot.ts); without a snapshot, types parsed from the
 * `.proto` files go through the same functions on first use (parsed.ts). One conversion,
 * two sources, one result.
 */
import protobuf from "protobufjs";
import type { EnumRecord, FieldRecord, MessageRecord, Rules } from "./table.js";

/** Full name without the leading dot. */
function nameOf(o: protobuf.ReflectionObject): string {
  return o.fullName.replace(/^\./, "");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function merge(into: Rules, from: Rules): Rules {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isObject(cur) && isObject(v)) merge(cur, v);
    else into[k] = v;
  }
  return into;
}

/** The field's `(validate.rules)`, merged from all its option statements (PGV reads them so). */
function fieldRules(field: protobuf.Field): Rules | undefined {
  let r: Rules | undefined;
  for (const o of field.parsedOptions ?? []) {
    const v = (o as Rules)["(validate.rules)"];
    if (isObject(v)) r = merge(r ?? {}, structuredClone(v));
  }
  return r;
}

/** proto3 JSON name: `json_name`, else lowerCamelCase of the proto name. */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function fieldRecord(field: protobuf.Field): FieldRecord {
  const r: FieldRecord = { n: field.name, t: field.type, k: "s" };
  // Stored whenever it differs from the proto name, so a run never computes it.
  const explicit = field.options?.json_name;
  const json = typeof explicit === "string" ? explicit : camel(field.name);
  if (json !== field.name) r.j = json;
  let resolved: protobuf.ReflectionObject | null = null;
  try {
    resolved = field.resolve().resolvedType;
  } catch {
    r.k = "u"; // its file's imports are not shipped: decode reports it when used
  }
  if (resolved instanceof protobuf.Type) r.k = "m";
  else if (resolved instanceof protobuf.Enum) r.k = "e";
  if (resolved) r.y = nameOf(resolved);
  if (field.map) r.mk = (field as unknown as protobuf.MapField).keyType;
  else if (field.repeated) r.r = 1;
  if (field.partOf) r.o = field.partOf.name;
  const o = field.options;
  if (o?.["(envoy.annotations.disallowed_by_default)"] === true) r.x = 1;
  if (o?.deprecated === true) r.d = 1;
  const rules = fieldRules(field);
  if (rules) r.v = rules;
  return r;
}

/** A message type's record. */
export function messageRecord(type: protobuf.Type): MessageRecord {
  const r: MessageRecord = { f: type.fieldsArray.map(fieldRecord) };
  const o = type.options;
  if (o?.["(validate.disabled)"] === true || o?.["(validate.ignored)"] === true) r.p = 1;
  const required = type.oneofsArray.filter((one) => one.options?.["(validate.required)"] === true);
  if (required.length > 0)
    r.q = required.map((one) => [one.name, one.fieldsArray.map((f) => f.name)]);
  return r;
}

/** An enum's record. */
export function enumRecord(e: protobuf.Enum): EnumRecord {
  const values: Record<string, number> = {};
  for (const name of Object.keys(e.values)) values[name] = e.values[name] as number;
  const r: EnumRecord = { v: values };
  // Which name a number reads back as, where that is not the first name with the number.
  const first = new Map<number, string>();
  for (const [name, n] of Object.entries(values)) if (!first.has(n)) first.set(n, name);
  const byNumber = Object.entries(e.valuesById).filter(
    ([n, name]) => first.get(Number(n)) !== name,
  );
  if (byNumber.length > 0) r.i = Object.fromEntries(byNumber);
  const options = (name: string) => e.valuesOptions?.[name];
  const d = Object.keys(values).filter((n) => options(n)?.deprecated === true);
  const x = Object.keys(values).filter(
    (n) => options(n)?.["(envoy.annotations.disallowed_by_default_enum)"] === true,
  );
  if (d.length > 0) r.d = d;
  if (x.length > 0) r.x = x;
  return r;
}

/** The package (a plain namespace) an object is declared in. */
export function packageOf(o: protobuf.ReflectionObject): string {
  let p = o.parent;
  while (p && (p instanceof protobuf.Type || p instanceof protobuf.Service)) p = p.parent;
  return p ? nameOf(p) : "";
}

export { nameOf };
