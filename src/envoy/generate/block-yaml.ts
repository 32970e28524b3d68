/**
 * Generated configs as YAML without the yaml library: block maps and sequences of plain
 * JSON, printed byte for byte as `stringify(value, { lineWidth: 0, indent: 2,
 * aliasDuplicateObjects: false })` of yaml 2 prints them. Loading and running the library's
 * stringifier was a large part of `envoy generate --check`'s CPU. It covers what the
 * generator writes (printable ASCII strings, single-line or multi-line values of a key,
 * finite numbers, booleans, null, nested maps and sequences) and returns undefined for anything
 * else, which the caller prints with the library: a value this printer is unsure of is never
 * guessed at. test/envoy/generate/block-yaml.test.ts holds it to the library's output.
 */
import type { Json } from "./json.js";

/** Thrown inside the printer for a value outside its subset. */
const DECLINE = Symbol("decline");

/** yaml's plain-scalar exclusions (stringifyString.js plainString), for one-line text. */
const NOT_PLAIN =
  /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Plain text the core schema would read as another type (null, bool, int, float): quoted. */
const CORE_SCALAR = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
const PRINTABLE_LINES = /^[\x20-\x7e\n]*$/;
/** yaml's containsDocumentMarker: changes the indentation of block text (and of plain text at the root). */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** One-line text starting with `%` is quoted anyway; with `---` or `...` it may not be. */
const LINE_MARKER = /^(---|\.\.\.)/;

/** A one-line string as a key or a value: plain, else single- or double-quoted. */
function line(s: string): string {
  if (!PRINTABLE_LINE.test(s) || s.length > 1000 || LINE_MARKER.test(s)) throw DECLINE;
  if (s !== "" && !NOT_PLAIN.test(s) && !CORE_SCALAR.some((r) => r.test(s))) return s;
  const double = s.includes('"');
  if (double && !s.includes("'")) return `'${s}'`;
  if (double || s.includes("\\")) throw DECLINE;
  return `"${s}"`;
}

/** A multi-line string as the value of a key whose content lines start with `indent`. */
function literal(s: string, indent: string): string {
  if (!PRINTABLE_LINES.test(s) || DOCUMENT_MARKER.test(s) || /^[ \n]/.test(s)) throw DECLINE;
  // Clip (one final newline) or strip (none); trailing blanks or more newlines are declined.
  const clip = s.endsWith("\n");
  const body = clip ? s.slice(0, -1) : s;
  if (/[\t \n]$/.test(body)) throw DECLINE;
  return `|${clip ? "" : "-"}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}`;
}

function scalar(v: Json | undefined): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v) || Object.is(v, -0)) throw DECLINE;
    return JSON.stringify(v); // yaml's stringifyNumber without minFractionDigits
  }
  if (typeof v === "string") return line(v);
  throw DECLINE;
}

const isMap = (v: Json | undefined): v is { readonly [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `{}` / `[]` for an empty collection, else undefined. */
function empty(v: Json | undefined): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? "[]" : undefined;
  if (isMap(v)) {
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null)
      throw DECLINE;
    return Object.keys(v).length === 0 ? "{}" : undefined;
  }
  return undefined;
}

function map(v: { readonly [key: string]: Json }, indent: string, out: string[]): void {
  for (const key of Object.keys(v)) {
    const value = v[key];
    const k = `${indent}${line(key)}:`;
    const e = empty(value);
    if (e !== undefined) out.push(`${k} ${e}`);
    else if (isMap(value)) {
      out.push(k);
      map(value, `${indent}  `, out);
    } else if (Array.isArray(value)) {
      out.push(k);
      seq(value, `${indent}  `, out);
    } else if (typeof value === "string" && value.includes("\n"))
      out.push(`${k} ${literal(value, `${indent}  `)}`);
    else out.push(`${k} ${scalar(value)}`);
  }
}

function seq(v: readonly Json[], indent: string, out: string[]): void {
  for (const item of v) {
    const e = empty(item);
    if (e !== undefined) out.push(`${indent}- ${e}`);
    else if (isMap(item) || Array.isArray(item)) {
      // The first line of the nested block goes on the dash line.
      const first = out.length;
      if (isMap(item)) map(item, `${indent}  `, out);
      else seq(item, `${indent}  `, out);
      out[first] = `${indent}- ${(out[first] as string).slice(indent.length + 2)}`;
    } else out.push(`${indent}- ${scalar(item)}`);
  }
}

/** The YAML text of a block map or sequence (ending in a newline), or undefined when outside the subset. */
export function blockYaml(value: Json): string | undefined {
  const out: string[] = [];
  try {
    const e = empty(value);
    if (e !== undefined) return `${e}\n`;
    if (isMap(value)) map(value, "", out);
    else if (Array.isArray(value)) seq(value, "", out);
    else return undefined;
  } catch (err) {
    if (err === DECLINE) return undefined;
    throw err;
  }
  return `${out.join("\n")}\n`;
}
