import {
  type DecodeContext,
  type Decoded,
  type DecodedMessage,
  DURATION_MAX_SECONDS,
  err,
  isObject,
  parseDuration,
} from "./decoded.js";
import type { Path } from "./issue.js";
import { addOriginKey, setOrigin } from "./issue.js";
import { checkFieldRules, checkMessageRules } from "./pgv.js";
import type { EnumInfo, FieldInfo, MessageInfo } from "./table.js";

export type { DecodeContext, Decoded, DecodedMessage } from "./decoded.js";

const MAX_DEPTH = 200;
const INT32 = [-2147483648, 2147483647] as const;
const UINT32 = [0, 4294967295] as const;
const FLOAT_MAX = 3.4028234663852886e38;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

const WRAPPERS: Record<string, string> = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};

/** Types whose JSON form is not an object of fields (an `Any` holds them under `value`). */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPERS),
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.Any",
]);

const TRUE_STRINGS = /^(true|t|yes|y|1)$/i;
const FALSE_STRINGS = /^(false|f|no|n|0)$/i;

const TYPED_STRUCT = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string")
    return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Decodes `json` strictly as proto3 JSON of `type`, recursively (including
 * every `Any`), checking PGV rules and reporting deprecated fields. Issues go
 * to `ctx.issues`; the result is the normalised message (best effort).
 */
export function decodeMessage(
  ctx: DecodeContext,
  type: MessageInfo,
  json: unknown,
  path: Path,
  depth = 0,
): DecodedMessage | undefined {
  const name = type.name;
  if (depth > MAX_DEPTH) {
    err(ctx, path, "value", "schema-type", "nesting too deep");
    return undefined;
  }
  if (name === "google.protobuf.Any") return decodeAny(ctx, json, path, depth);
  if (!isObject(json)) return mismatch(ctx, path, `a mapping for ${name}`, json);
  const fields = type.byKey;
  const out: DecodedMessage = {};
  const keys = new Map<string, string>();
  let oneofSeen: Map<string, string> | undefined; // most messages set no oneof member
  for (const key of Object.keys(json)) {
    const value = json[key];
    const field = fields.get(key);
    const at = [...path, key];
    if (!field) {
      err(ctx, at, "key", "unknown-field", `unknown field "${key}" in ${name}`);
      continue;
    }
    if (keys.has(field.name)) {
      err(ctx, at, "key", "duplicate-field", `field "${field.name}" given twice`);
      continue;
    }
    if (value === null && field.typeName !== "google.protobuf.Value") continue;
    keys.set(field.name, key);
    if (field.oneof !== undefined) {
      oneofSeen ??= new Map();
      const other = oneofSeen.get(field.oneof);
      if (other !== undefined) {
        err(
          ctx,
          at,
          "key",
          "oneof-multiple",
          `"${field.name}" and "${other}" are both set, but only one of oneof "${field.oneof}" may be`,
        );
      }
      oneofSeen.set(field.oneof, field.name);
    }
    const v = decodeField(ctx, field, value, at, depth);
    if (v !== undefined) out[field.name] = v;
    deprecation(ctx, field, v, at);
  }
  setOrigin(out, path, keys);
  ctx.onMessage?.(name, out);
  if (!type.pgvDisabled) {
    for (const field of type.fields) {
      if (!field.rules) continue;
      const key = keys.get(field.name);
      // Rules of a oneof member (or proto3 `optional`) apply only when it is the one set.
      if (field.oneof !== undefined && key === undefined) continue;
      const fieldPath = key !== undefined ? [...path, key] : path;
      checkFieldRules(ctx, field, out[field.name], fieldPath, key !== undefined);
    }
    checkMessageRules(ctx, type, out, path);
  }
  return out;
}

/** What decodeField and decodeSingle take: the field, its JSON value, where it is, how deep. */
type FieldArgs = [ctx: DecodeContext, field: FieldInfo, value: unknown, path: Path, depth: number];

function decodeField(...[ctx, field, value, path, depth]: FieldArgs): Decoded | undefined {
  if (field.kind === "unresolved") return unavailable(ctx, field, path);
  const keyType = field.mapKey;
  if (keyType !== undefined) {
    if (!isObject(value)) return mismatch(ctx, path, `a mapping for "${field.name}"`, value);
    const out: { [k: string]: Decoded } = {};
    const keys = new Map<string, string>();
    for (const [k, v] of Object.entries(value)) {
      if (keyType !== "string") {
        const ok = keyType === "bool" ? k === "true" || k === "false" : /^-?\d+$/.test(k);
        if (!ok) err(ctx, [...path, k], "key", "schema-type", `map key "${k}" is not a ${keyType}`);
      }
      const d = decodeSingle(ctx, field, v, [...path, k], depth);
      if (d !== undefined) out[k] = d;
      keys.set(k, k);
    }
    setOrigin(out, path, keys);
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      // Envoy's JSON parser takes a single value as a one-element list.
      ctx.issues.push({
        path,
        at: "value",
        rule: "single-for-list",
        severity: "warning",
        message: `warning: "${field.name}" is a list; a single value is read as a one-element list`,
      });
      return decodeField(ctx, field, [value], path, depth);
    }
    const out: Decoded[] = [];
    // Envoy's parser flattens nested lists into the outer one; a null inside
    // them reads as an empty message.
    const isMessageField = field.kind === "message";
    const flat = value.some(Array.isArray)
      ? value.flatMap((v) =>
          Array.isArray(v)
            ? (v.flat(Number.POSITIVE_INFINITY) as unknown[]).flatMap((x) =>
                x === null ? (isMessageField ? [{}] : []) : [x],
              )
            : [v],
        )
      : value;
    flat.forEach((item, i) => {
      if (item === null) {
        err(
          ctx,
          [...path, i],
          "value",
          "schema-type",
          `null is not allowed in list "${field.name}"`,
        );
        return;
      }
      const d = decodeSingle(ctx, field, item, [...path, i], depth);
      if (d !== undefined) out.push(d);
    });
    setOrigin(out, path, new Map());
    return out;
  }
  return decodeSingle(ctx, field, value, path, depth);
}

/** One value (not a list or map) of `field`. */
function decodeSingle(...[ctx, field, value, path, depth]: FieldArgs): Decoded | undefined {
  if (field.kind === "scalar") return decodeScalar(ctx, field.type, value, path);
  const name = field.typeName as string;
  const e = field.kind === "enum" ? ctx.types.enumType(name) : undefined;
  if (e) return decodeEnum(ctx, e, value, path);
  const t = field.kind === "message" ? ctx.types.message(name) : undefined;
  if (t) return decodeTyped(ctx, t, value, path, depth + 1);
  return unavailable(ctx, field, path);
}

/** A field whose type the API snapshot lacks: reported where the field is named. */
function unavailable(ctx: DecodeContext, field: FieldInfo, path: Path): undefined {
  err(ctx, path, "key", "schema-type", `type of field "${field.name}" is not available`);
  return undefined;
}

/** Decodes a value of message type `type`, including the well-known types' special JSON forms. */
function decodeTyped(
  ctx: DecodeContext,
  type: MessageInfo,
  value: unknown,
  path: Path,
  depth: number,
): Decoded | undefined {
  const name = type.name;
  const wrapped = WRAPPERS[name];
  if (wrapped) {
    // Envoy's parser also takes the message form {value: x}.
    if (isObject(value)) {
      extraKeys(ctx, value, path, ["value"], (k) => `unknown field "${k}" in ${name}`);
      if (!("value" in value)) {
        err(ctx, path, "value", "schema-type", `expected a ${wrapped} or {value: …}`);
        return undefined;
      }
      return decodeScalar(ctx, wrapped, value.value, [...path, "value"]);
    }
    return decodeScalar(ctx, wrapped, value, path);
  }
  switch (name) {
    case "google.protobuf.Duration":
      return decodeDuration(ctx, value, path);
    case "google.protobuf.Timestamp":
      if (typeof value !== "string" || !TIMESTAMP.test(value))
        return mismatch(ctx, path, "an RFC 3339 timestamp", value);
      return value;
    case "google.protobuf.FieldMask":
      if (typeof value !== "string") return mismatch(ctx, path, "a field mask string", value);
      return value;
    case "google.protobuf.Struct":
      if (!isObject(value)) return mismatch(ctx, path, "a mapping", value);
      return value as Decoded;
    case "google.protobuf.ListValue":
      if (!Array.isArray(value)) return mismatch(ctx, path, "a list", value);
      return value as Decoded;
    case "google.protobuf.Value":
      return value as Decoded;
    case "google.protobuf.Empty":
      if (!isObject(value) || Object.keys(value).length > 0) {
        err(ctx, path, "value", "schema-type", "expected an empty mapping {}");
        return undefined;
      }
      return {};
    default:
      return decodeMessage(ctx, type, value, path, depth);
  }
}

function decodeAny(
  ctx: DecodeContext,
  json: unknown,
  path: Path,
  depth: number,
): DecodedMessage | undefined {
  if (!isObject(json)) return mismatch(ctx, path, 'a mapping with "@type"', json);
  const url = json["@type"];
  if (url === undefined) {
    if (Object.keys(json).length === 0) return {};
    err(ctx, path, "key", "bad-type-url", `"@type" is missing in an Any`);
    return undefined;
  }
  if (typeof url !== "string" || !url.includes("/")) {
    err(
      ctx,
      [...path, "@type"],
      "value",
      "bad-type-url",
      `"@type" must be a type URL such as "type.googleapis.com/pkg.Msg"`,
    );
    return undefined;
  }
  const typeName = url.slice(url.lastIndexOf("/") + 1);
  const type = ctx.types.message(typeName);
  if (!type) {
    err(
      ctx,
      [...path, "@type"],
      "value",
      "bad-type-url",
      `unresolvable "@type" ${JSON.stringify(url)}: no such message in the Envoy API`,
    );
    return undefined;
  }
  const { "@type": _t, ...rest } = json;
  let inner: Decoded | undefined;
  if (SPECIAL_JSON.has(typeName)) {
    extraKeys(
      ctx,
      rest,
      path,
      ["value"],
      (k) => `unknown field "${k}" in an Any holding ${typeName} (use "value")`,
    );
    inner = decodeTyped(ctx, type, rest.value, [...path, "value"], depth + 1);
    const out: DecodedMessage = { "@type": url };
    if (inner !== undefined) out.value = inner;
    setOrigin(
      out,
      path,
      new Map([
        ["@type", "@type"],
        ["value", "value"],
      ]),
    );
    return out;
  }
  const msg = decodeMessage(ctx, type, rest, path, depth + 1);
  if (!msg) return undefined;
  // The same object the type index holds, so lint rules can reach it either way.
  msg["@type"] = url;
  addOriginKey(msg, "@type", "@type");
  const out = msg;
  if (TYPED_STRUCT.has(typeName)) decodeTypedStruct(ctx, msg, path, depth);
  return out;
}

/** A TypedStruct's `value` is the JSON of the message named by its `type_url`: check that too. */
function decodeTypedStruct(
  ctx: DecodeContext,
  msg: DecodedMessage,
  path: Path,
  depth: number,
): void {
  const url = msg.type_url;
  if (typeof url !== "string") return;
  const type = ctx.types.message(url.slice(url.lastIndexOf("/") + 1));
  if (!type) {
    err(
      ctx,
      [...path, "type_url"],
      "value",
      "bad-type-url",
      `unresolvable type_url ${JSON.stringify(url)}`,
    );
    return;
  }
  decodeMessage(ctx, type, msg.value ?? {}, [...path, "value"], depth + 1);
}

function decodeEnum(
  ctx: DecodeContext,
  e: EnumInfo,
  value: unknown,
  path: Path,
): Decoded | undefined {
  if (typeof value === "string" && /^-?\d+$/.test(value))
    return decodeEnum(ctx, e, Number(value), path);
  if (typeof value === "string") {
    // Envoy parses enum names case-insensitively.
    const name = e.values.has(value)
      ? value
      : [...e.values.keys()].find((k) => k.toLowerCase() === value.toLowerCase());
    if (name !== undefined && name !== value) return decodeEnum(ctx, e, name, path);
    if (!e.values.has(value)) {
      err(
        ctx,
        path,
        "value",
        "bad-enum",
        `${JSON.stringify(value)} is not a value of ${e.name} (one of ${[...e.values.keys()].join(", ")})`,
      );
      return undefined;
    }
    enumDeprecation(ctx, e, value, path);
    return value;
  }
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= INT32[0] &&
    value <= INT32[1]
  ) {
    const name = e.byNumber.get(value);
    if (name) enumDeprecation(ctx, e, name, path);
    return name ?? value;
  }
  err(ctx, path, "value", "bad-enum", `expected a ${e.name} name, got ${describe(value)}`);
  return undefined;
}

function decodeScalar(
  ctx: DecodeContext,
  type: string,
  value: unknown,
  path: Path,
): Decoded | undefined {
  const bad = (what: string) => mismatch(ctx, path, what, value);
  switch (type) {
    case "string":
      return typeof value === "string" ? value : bad("a string");
    case "bool":
      if (typeof value === "boolean") return value;
      // Envoy's parser reads "true"/"t"/"yes"/"y"/"1" and their negatives from strings.
      if (typeof value === "string" && TRUE_STRINGS.test(value)) return true;
      if (typeof value === "string" && FALSE_STRINGS.test(value)) return false;
      return bad("true or false");
    case "bytes":
      return typeof value === "string" && BASE64.test(value) ? value : bad("base64 bytes");
    case "double":
    case "float": {
      let n: number;
      if (typeof value === "number") n = value;
      else if (
        typeof value === "string" &&
        /^(-?Infinity|NaN|-?\d+(\.\d*)?([eE][+-]?\d+)?)$/.test(value)
      )
        n = Number(value);
      else return bad("a number");
      if (type === "float" && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX)
        return bad("a float in range");
      return n;
    }
    case "int32":
    case "sint32":
    case "sfixed32":
      return integer(value, INT32[0], INT32[1]) ?? bad("a 32-bit integer");
    case "uint32":
    case "fixed32":
      return integer(value, UINT32[0], UINT32[1]) ?? bad("an unsigned 32-bit integer");
    case "int64":
    case "sint64":
    case "sfixed64":
      return integer(value, -(2 ** 63), 2 ** 63 - 1) ?? bad("a 64-bit integer");
    case "uint64":
    case "fixed64":
      return integer(value, 0, 2 ** 64 - 1) ?? bad("an unsigned 64-bit integer");
    default:
      return bad(type);
  }
}

/** An integer as protobuf's JSON parser (as Envoy configures it) reads one: a number, or a decimal, hex or integral numeric string. */
function integer(value: unknown, min: number, max: number): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^[-+]?\d+$/.test(value)) n = Number(value);
  else if (typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value))
    n = Number.parseInt(value.slice(2), 16);
  else if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    n = Number(value);
  else return undefined;
  if (!Number.isInteger(n) || n < min || n > max) return undefined;
  return n;
}

function isDefault(v: Decoded | undefined): boolean {
  return (
    v === undefined || v === 0 || v === "" || v === false || (Array.isArray(v) && v.length === 0)
  );
}

function deprecation(
  ctx: DecodeContext,
  field: FieldInfo,
  v: Decoded | undefined,
  path: Path,
): void {
  if (isDefault(v)) return;
  const owner = field.owner;
  if (field.disallowed) {
    err(
      ctx,
      path,
      "key",
      "disallowed-field",
      `${owner}.${field.name} is deprecated and disallowed by default`,
    );
  } else if (field.deprecated) {
    ctx.issues.push({
      path,
      at: "key",
      rule: "deprecated-field",
      severity: "warning",
      message: `warning: ${owner}.${field.name} is deprecated`,
    });
  }
}

function enumDeprecation(ctx: DecodeContext, e: EnumInfo, name: string, path: Path): void {
  if (e.disallowed.has(name)) {
    err(
      ctx,
      path,
      "value",
      "disallowed-field",
      `${e.name}.${name} is deprecated and disallowed by default`,
    );
  } else if (e.deprecated.has(name)) {
    ctx.issues.push({
      path,
      at: "value",
      rule: "deprecated-field",
      severity: "warning",
      message: `warning: ${e.name}.${name} is deprecated`,
    });
  }
}

/** Records a `schema-type` error, "expected <what>, got <value>"; returns undefined. */
function mismatch(ctx: DecodeContext, path: Path, what: string, value: unknown): undefined {
  err(ctx, path, "value", "schema-type", `expected ${what}, got ${describe(value)}`);
  return undefined;
}

/** Reports each key of a special JSON form (`{value}`, `{seconds, nanos}`) it does not take. */
function extraKeys(
  ctx: DecodeContext,
  json: Record<string, unknown>,
  path: Path,
  allowed: readonly string[],
  message: (key: string) => string,
): void {
  for (const k of Object.keys(json))
    if (!allowed.includes(k)) err(ctx, [...path, k], "key", "unknown-field", message(k));
}

/** A Duration: "1.5s" (at most 9 fractional digits) or {seconds, nanos}; Envoy refuses negative ones. */
function decodeDuration(ctx: DecodeContext, value: unknown, path: Path): Decoded | undefined {
  if (isObject(value)) {
    extraKeys(
      ctx,
      value,
      path,
      ["seconds", "nanos"],
      (k) => `unknown field "${k}" in google.protobuf.Duration`,
    );
    const secs =
      value.seconds === undefined
        ? 0
        : integer(value.seconds, -DURATION_MAX_SECONDS, DURATION_MAX_SECONDS);
    const nanos = value.nanos === undefined ? 0 : integer(value.nanos, -999999999, 999999999);
    if (secs === undefined || nanos === undefined) {
      err(ctx, path, "value", "bad-duration", "expected integer seconds and nanos");
      return undefined;
    }
    if (secs < 0 || nanos < 0) {
      err(ctx, path, "value", "bad-duration", "durations must not be negative");
      return undefined;
    }
    return `${secs}${nanos ? `.${String(nanos).padStart(9, "0")}` : ""}s`;
  }
  const s = parseDuration(value);
  if (s === undefined) {
    err(
      ctx,
      path,
      "value",
      "bad-duration",
      `expected a duration such as "1.5s", got ${describe(value)}`,
    );
    return undefined;
  }
  if (s < 0) {
    err(ctx, path, "value", "bad-duration", "durations must not be negative");
    return undefined;
  }
  return value as string;
}
