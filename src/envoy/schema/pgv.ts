import { isIP } from "../ip.js";
import type { DecodeContext, Decoded, DecodedMessage } from "./decoded.js";
import { err, isObject, parseDuration } from "./decoded.js";
import type { Path } from "./issue.js";
import type { EnumInfo, FieldInfo, MessageInfo, Rules } from "./table.js";

/**
 * protoc-gen-validate (`validate.rules`) as Envoy enforces it when it loads a
 * config. Rules are read from the protos' field options, merged per field
 * into the type table (records.ts). The shipped validate.proto lacks
 * `StringRules.ignore_empty`, but option values are not checked against it,
 * so it is honoured here like the other keys.
 *
 * Scalars are checked even when unset (proto3 default), as PGV does; message
 * rules only when set, except `required`.
 */
/** Oneofs marked `(validate.required)` must have one member set. */
export function checkMessageRules(
  ctx: DecodeContext,
  type: MessageInfo,
  msg: DecodedMessage,
  path: Path,
): void {
  for (const oneof of type.requiredOneofs) {
    if (!oneof.fields.some((f) => msg[f] !== undefined)) {
      err(
        ctx,
        path,
        "key",
        "pgv-oneof-required",
        `${type.name} needs one of: ${oneof.fields.join(", ")}`,
      );
    }
  }
}

/** Checks one field of a decoded message against its rules. */
export function checkFieldRules(
  ctx: DecodeContext,
  field: FieldInfo,
  value: Decoded | undefined,
  path: Path,
  present: boolean,
): void {
  const rules = field.rules;
  if (!rules) return;
  const at = present ? "value" : "key";
  const where = `${field.owner}.${field.name}`;
  const fail = (kind: string, msg: string, p: Path = path) =>
    err(ctx, p, present ? at : "key", `pgv-${kind}`, `${where}: ${msg}`);

  const msgRules = rules.message;
  if (isObject(msgRules) && msgRules.required === true && value === undefined) {
    fail("required", "is required");
  }
  if (field.mapKey !== undefined) {
    const m = (value ?? {}) as Record<string, Decoded>;
    checkMap(rules.map, m, path, fail, ctx, field);
    return;
  }
  if (field.repeated) {
    const arr = (value ?? []) as Decoded[];
    checkRepeated(rules.repeated, arr, path, fail, ctx, field);
    return;
  }
  checkSingle(rules, field, value, fail, ctx);
}

type Fail = (kind: string, msg: string, p?: Path) => void;

function checkSingle(
  rules: Rules,
  field: FieldInfo,
  value: Decoded | undefined,
  fail: Fail,
  ctx: DecodeContext,
): void {
  // A message or enum type (wrappers, Duration…), as opposed to a plain scalar.
  const rt = field.kind === "message" || field.kind === "enum";
  const typeName = field.typeName ?? field.type;
  for (const [kind, r] of Object.entries(rules)) {
    if (!isObject(r)) continue;
    switch (kind) {
      case "string":
        if (value === undefined && typeName !== "string") break; // unset StringValue
        checkString(r, typeof value === "string" ? value : "", fail);
        break;
      case "bytes":
        if (value === undefined && typeName !== "bytes") break;
        checkBytes(r, typeof value === "string" ? value : "", fail);
        break;
      case "bool":
        if (r.const !== undefined && value !== undefined && value !== r.const)
          fail("bool", `must be ${String(r.const)}`);
        break;
      case "enum":
        checkEnum(
          r,
          field.kind === "enum" ? ctx.types.enumType(field.typeName as string) : undefined,
          value,
          fail,
        );
        break;
      case "duration":
        checkDuration(r, value, fail);
        break;
      case "any":
        checkAny(r, value, fail);
        break;
      case "timestamp":
        if (r.required === true && value === undefined) fail("timestamp", "is required");
        break;
      case "message":
      case "repeated":
      case "map":
        break;
      default:
        if (NUMERIC.has(kind)) {
          // Wrapper types are checked only when set; plain scalars always.
          if (value === undefined && rt) break;
          const n = typeof value === "number" ? value : 0;
          checkNumber(r, n, fail);
        }
    }
  }
}

const NUMERIC = new Set([
  "float",
  "double",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
]);

/** A repeated rule option (`in`, `not_in`) as a list: one written once is a single value. */
function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v !== "" && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

function checkNumber(r: Rules, n: number, fail: Fail): void {
  const k = "number";
  const cst = num(r.const);
  if (cst !== undefined && n !== cst) fail(k, `must equal ${cst}, got ${n}`);
  const inList = listOf(r.in).map(num);
  if (inList.length > 0 && !inList.includes(n))
    fail(k, `must be one of ${inList.join(", ")}, got ${n}`);
  if (listOf(r.not_in).map(num).includes(n)) fail(k, `must not be ${n}`);
  const bounds = rangeCheck(n, num(r.gt), num(r.gte), num(r.lt), num(r.lte));
  if (bounds) fail(k, `${bounds}, got ${n}`);
}

/** PGV range semantics, including exclusive ranges when lower > upper. Returns why it fails. */
function rangeCheck(
  n: number,
  gt: number | undefined,
  gte: number | undefined,
  lt: number | undefined,
  lte: number | undefined,
): string | undefined {
  const lo = gt ?? gte;
  const hi = lt ?? lte;
  const aboveLo = gt !== undefined ? n > gt : gte !== undefined ? n >= gte : true;
  const belowHi = lt !== undefined ? n < lt : lte !== undefined ? n <= lte : true;
  const loText = gt !== undefined ? `> ${gt}` : `>= ${gte}`;
  const hiText = lt !== undefined ? `< ${lt}` : `<= ${lte}`;
  if (lo !== undefined && hi !== undefined) {
    if (hi >= lo) return aboveLo && belowHi ? undefined : `must be ${loText} and ${hiText}`;
    return aboveLo || belowHi ? undefined : `must be ${hiText} or ${loText}`;
  }
  if (lo !== undefined && !aboveLo) return `must be ${loText}`;
  if (hi !== undefined && !belowHi) return `must be ${hiText}`;
  return undefined;
}

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;

/**
 * PGV's KnownRegex header checks: strict values refuse control characters
 * except tab; non-strict names and values refuse only NUL, LF and CR.
 */
function headerCharsOk(s: string, strict: boolean): boolean {
  // A regex, not a loop over char codes: validation runs once per process, in the interpreter.
  return !(strict ? HEADER_BAD_STRICT : HEADER_BAD).test(s);
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const HEADER_BAD_STRICT = /[\x00-\x08\x0a-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const HEADER_BAD = /[\x00\x0a\x0d]/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const regexCache = new Map<string, RegExp | null>();

function compile(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    let src = pattern;
    let flags = "u";
    if (src.startsWith("(?i)")) {
      src = src.slice(4);
      flags += "i";
    }
    try {
      re = new RegExp(src, flags);
    } catch {
      try {
        re = new RegExp(src);
      } catch {
        re = null;
      }
    }
    regexCache.set(pattern, re);
  }
  return re;
}

function isHostname(s: string): boolean {
  const h = s.endsWith(".") ? s.slice(0, -1) : s;
  if (h.length === 0 || h.length > 253) return false;
  return h
    .split(".")
    .every(
      (l) => l.length > 0 && l.length <= 63 && /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(l),
    );
}

function checkString(r: Rules, s: string, fail: Fail): void {
  if (r.ignore_empty === true && s === "") return;
  const chars = [...s].length;
  const bytes = Buffer.byteLength(s, "utf8");
  const q = JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
  const n = (k: string) => num(r[k]);
  if (r.const !== undefined && s !== r.const) fail("string", `must be ${JSON.stringify(r.const)}`);
  // Lengths in characters (code points) and in UTF-8 bytes: [rule, measured, unit].
  for (const [prefix, got, unit] of [
    ["", chars, "characters"],
    ["_bytes", bytes, "bytes"],
  ] as const) {
    const exact = n(prefix ? `len${prefix}` : "len");
    const min = n(prefix ? `min${prefix}` : "min_len");
    const max = n(prefix ? `max${prefix}` : "max_len");
    if (exact !== undefined && got !== exact) fail("string", `must be ${exact} ${unit}`);
    if (min !== undefined && got < min) fail("string", `must be at least ${min} ${unit}, got ${q}`);
    if (max !== undefined && got > max) fail("string", `must be at most ${max} ${unit}`);
  }
  if (typeof r.pattern === "string") {
    const re = compile(r.pattern);
    if (re && !re.test(s)) fail("string", `${q} does not match ${r.pattern}`);
  }
  if (typeof r.prefix === "string" && !s.startsWith(r.prefix))
    fail("string", `must start with ${JSON.stringify(r.prefix)}`);
  if (typeof r.suffix === "string" && !s.endsWith(r.suffix))
    fail("string", `must end with ${JSON.stringify(r.suffix)}`);
  if (typeof r.contains === "string" && !s.includes(r.contains))
    fail("string", `must contain ${JSON.stringify(r.contains)}`);
  if (typeof r.not_contains === "string" && s.includes(r.not_contains))
    fail("string", `must not contain ${JSON.stringify(r.not_contains)}`);
  const inList = listOf(r.in);
  if (inList.length > 0 && !inList.includes(s))
    fail("string", `must be one of ${inList.join(", ")}`);
  if (listOf(r.not_in).includes(s)) fail("string", `must not be ${q}`);
  if (r.hostname === true && !isHostname(s)) fail("string", `${q} is not a valid hostname`);
  if (r.ip === true && isIP(s) === 0) fail("string", `${q} is not an IP address`);
  if (r.ipv4 === true && isIP(s) !== 4) fail("string", `${q} is not an IPv4 address`);
  if (r.ipv6 === true && isIP(s) !== 6) fail("string", `${q} is not an IPv6 address`);
  if (r.address === true && isIP(s) === 0 && !isHostname(s))
    fail("string", `${q} is not a hostname or IP address`);
  if (r.email === true && !/^[^@\s]+@[^@\s]+$/.test(s))
    fail("string", `${q} is not an email address`);
  if (r.uuid === true && !UUID.test(s)) fail("string", `${q} is not a UUID`);
  if (r.uri === true && !/^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s))
    fail("string", `${q} is not an absolute URI`);
  if (r.uri_ref === true && /\s/.test(s)) fail("string", `${q} is not a URI reference`);
  const known = r.well_known_regex;
  if (known === "HTTP_HEADER_NAME" || known === "HTTP_HEADER_VALUE" || known === 1 || known === 2) {
    const isName = known === "HTTP_HEADER_NAME" || known === 1;
    const strict = r.strict !== false;
    const ok = strict && isName ? HEADER_NAME_STRICT.test(s) : headerCharsOk(s, strict);
    if (!ok) fail("string", `${q} is not a valid HTTP header ${isName ? "name" : "value"}`);
  }
}

function checkBytes(r: Rules, b64: string, fail: Fail): void {
  const len = Buffer.from(b64, "base64").length;
  if (r.ignore_empty === true && len === 0) return;
  const n = (k: string) => num(r[k]);
  if (n("len") !== undefined && len !== n("len")) fail("bytes", `must be ${n("len")} bytes`);
  if (n("min_len") !== undefined && len < (n("min_len") as number))
    fail("bytes", `must be at least ${n("min_len")} bytes`);
  if (n("max_len") !== undefined && len > (n("max_len") as number))
    fail("bytes", `must be at most ${n("max_len")} bytes`);
}

function checkEnum(
  r: Rules,
  e: EnumInfo | undefined,
  value: Decoded | undefined,
  fail: Fail,
): void {
  const v = value ?? 0;
  const numeric = typeof v === "number" ? v : e?.values.get(v as string);
  if (
    r.defined_only === true &&
    e &&
    (typeof v === "number" ? !e.byNumber.has(v) : !e.values.has(String(v)))
  )
    fail("enum", `${String(v)} is not a defined value`);
  const asNum = (x: unknown) => (typeof x === "string" && e ? e.values.get(x) : num(x));
  if (r.const !== undefined && numeric !== asNum(r.const))
    fail("enum", `must be ${String(r.const)}`);
  const inList = listOf(r.in).map(asNum);
  if (inList.length > 0 && !inList.includes(numeric))
    fail("enum", `${String(v)} is not allowed here`);
  if (listOf(r.not_in).map(asNum).includes(numeric))
    fail("enum", `${String(v)} is not allowed here`);
}

function durationOf(v: unknown): number | undefined {
  if (!isObject(v)) return undefined;
  return (num(v.seconds) ?? 0) + (num(v.nanos) ?? 0) / 1e9;
}

function checkDuration(r: Rules, value: Decoded | undefined, fail: Fail): void {
  if (value === undefined) {
    if (r.required === true) fail("duration", "is required");
    return;
  }
  const s = parseDuration(value);
  if (s === undefined) return;
  const cst = durationOf(r.const);
  if (cst !== undefined && s !== cst) fail("duration", `must be ${cst}s`);
  const why = rangeCheck(
    s,
    durationOf(r.gt),
    durationOf(r.gte),
    durationOf(r.lt),
    durationOf(r.lte),
  );
  if (why) fail("duration", `${why.replace(/(\d+(?:\.\d+)?)/g, "$1s")}, got ${String(value)}`);
  const inList = listOf(r.in).map(durationOf);
  if (inList.length > 0 && !inList.includes(s)) fail("duration", "is not an allowed value");
}

function checkAny(r: Rules, value: Decoded | undefined, fail: Fail): void {
  if (value === undefined) {
    if (r.required === true) fail("any", "is required");
    return;
  }
  const url = isObject(value) ? value["@type"] : undefined;
  const inList = listOf(r.in);
  if (inList.length > 0 && !inList.includes(url))
    fail("any", `type ${String(url)} is not allowed here`);
  if (listOf(r.not_in).includes(url)) fail("any", `type ${String(url)} is not allowed here`);
}

/** What the list and map checks take: the rules, the decoded value, where, how to report. */
type CollectionArgs<T> = [
  r: unknown,
  value: T,
  path: Path,
  fail: Fail,
  ctx: DecodeContext,
  field: FieldInfo,
];

function checkRepeated(...[r, arr, path, fail, ctx, field]: CollectionArgs<Decoded[]>): void {
  if (!isObject(r)) return;
  if (r.ignore_empty === true && arr.length === 0) return;
  const min = num(r.min_items);
  const max = num(r.max_items);
  if (min !== undefined && arr.length < min)
    fail("repeated", `needs at least ${min} item(s), got ${arr.length}`);
  if (max !== undefined && arr.length > max)
    fail("repeated", `allows at most ${max} item(s), got ${arr.length}`);
  if (r.unique === true) {
    const seen = new Set<string>();
    arr.forEach((v, i) => {
      const k = JSON.stringify(v);
      if (seen.has(k)) fail("repeated", `items must be unique; ${k} repeats`, [...path, i]);
      seen.add(k);
    });
  }
  if (isObject(r.items)) {
    const items = r.items;
    arr.forEach((v, i) => {
      const p = [...path, i];
      const itemFail: Fail = (kind, msg, q = p) =>
        err(ctx, q, "value", `pgv-${kind}`, `${field.owner}.${field.name}[${i}]: ${msg}`);
      checkSingle(items, field, v, itemFail, ctx);
    });
  }
}

function checkMap(
  ...[r, m, path, fail, ctx, field]: CollectionArgs<Record<string, Decoded>>
): void {
  if (!isObject(r)) return;
  const n = Object.keys(m).length;
  if (r.ignore_empty === true && n === 0) return;
  const min = num(r.min_pairs);
  const max = num(r.max_pairs);
  if (min !== undefined && n < min) fail("map", `needs at least ${min} entr(y/ies), got ${n}`);
  if (max !== undefined && n > max) fail("map", `allows at most ${max} entr(y/ies), got ${n}`);
  const where = `${field.owner}.${field.name}`;
  for (const [k, v] of Object.entries(m)) {
    const p = [...path, k];
    if (isObject(r.keys) && isObject(r.keys.string)) {
      checkString(r.keys.string, k, (kind, msg) =>
        err(ctx, p, "key", `pgv-${kind}`, `${where} key: ${msg}`),
      );
    }
    if (isObject(r.values)) {
      checkSingle(
        r.values,
        field,
        v,
        (kind, msg) =>
          err(ctx, p, "value", `pgv-${kind}`, `${where}[${JSON.stringify(k)}]: ${msg}`),
        ctx,
      );
    }
  }
}
