/**
 * A fast reader for the YAML that Envoy configs are nearly always written in: block
 * mappings and sequences, plain and quoted one-line scalars, `|` literal blocks (PEM
 * certificates), empty `[]` / `{}`, and comments. It gives what the full reader gives
 * (yaml's parseDocument, then envoyYamlToJson and positionOf): the same JSON and the same
 * source position for every path. It declines (returns undefined) anything else, and
 * anything it is not certain about: anchors, aliases, tags, flow collections with items,
 * folded or indented block scalars, multi-line plain scalars, duplicate keys, directives,
 * tabs, control characters, every syntax error. The caller then uses the full reader, so a
 * declined document is read exactly as before, only slower.
 *
 * Why: the yaml library costs a cold `envoy validate` run more than Envoy's whole check of
 * the same file (a fresh process never gets its parser out of the interpreter).
 * test/envoy/validate/simple-yaml.test.ts checks the equivalence on every corpus case and
 * fuzzed variant.
 */
import type { Path } from "../schema/issue.js";
import { plainScalar } from "./plain-scalar.js";
import type { Position } from "./positions.js";

/** A document read by {@link readSimpleYaml}. */
export interface SimpleYaml {
  /** The document as Envoy's JSON (envoyYamlToJson's result). */
  readonly json: unknown;
  /** positionOf's answer for `path`. */
  position(path: Path, at: "key" | "value"): Position;
}

/** Where a container's children start: per key [key offset, value offset], or per item. */
type Offsets = Map<string, readonly [number, number]> | number[];

const DECLINE = Symbol("decline");

/** Characters YAML refuses or treats specially, tabs and carriage returns: not ours to read. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSUPPORTED = /[\0-\x08\t\v\f\r\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]/;
/** Characters that cannot start a plain scalar or key here (YAML indicators); sticky: test at a column. */
const INDICATOR = /[-?:,[\]{}#&*!|>'"%@`]/y;
/** An indicator that still starts a plain scalar (`-x`, `:x`, `?x`); sticky. */
const PLAIN_INDICATOR = /[-?:][^\s,[\]{}]/y;
/** What may follow a quoted scalar or `[]`/`{}` on its line: spaces, or a comment after one; sticky. */
const LINE_REST = /(?: *| +#.*)$/y;
const DOUBLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  "0": "\0",
  " ": " ",
};

function decline(): never {
  throw DECLINE;
}

/** Whether sticky `re` matches `line` at column `c` (no slice of the line is made). */
function matchesAt(re: RegExp, line: string, c: number): boolean {
  re.lastIndex = c;
  return re.test(line);
}

/** A block sequence entry's `-` at column `c`: followed by a space or the end of the line. */
function dashAt(line: string, c: number): boolean {
  return line[c] === "-" && (c + 1 === line.length || line[c + 1] === " ");
}

/** Reads `text`, or returns undefined when the full reader must. */
export function readSimpleYaml(text: string): SimpleYaml | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  try {
    return new Reader(text).read();
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}

class Reader {
  private readonly lines: string[];
  private readonly starts: number[] = [];
  private i = 0;
  private readonly offsets = new WeakMap<object, Offsets>();

  constructor(private readonly text: string) {
    this.lines = text.split("\n");
    let at = 0;
    for (const l of this.lines) {
      this.starts.push(at);
      at += l.length + 1;
    }
  }

  read(): SimpleYaml {
    this.skipTrivia();
    const first = this.lines[this.i];
    if (first === undefined || indentOf(first) !== 0 || /^(---|\.\.\.|%)/.test(first)) decline();
    // A document marker on any line (one test of the whole text: lines have no \r, \u2028 or \u2029).
    if (/^(---|\.\.\.)(\s|$)/m.test(this.text)) decline();
    const root = this.mapping(0, 0);
    this.skipTrivia();
    if (this.i < this.lines.length) decline();
    const rootOffset = this.starts[0] as number;
    return {
      json: root.value,
      position: (path, at) =>
        this.linePos(this.locate(root.value, root.offset ?? rootOffset, path, at)),
    };
  }

  /** positionOf over the offsets recorded while reading. */
  private locate(root: unknown, rootOffset: number, path: Path, at: "key" | "value"): number {
    let node = root;
    let best = rootOffset;
    for (let k = 0; k < path.length; k++) {
      const seg = path[k] as string | number;
      const offsets =
        typeof node === "object" && node !== null ? this.offsets.get(node) : undefined;
      if (offsets instanceof Map) {
        const o = offsets.get(String(seg));
        if (!o) break;
        if (k === path.length - 1 && at === "key") {
          best = o[0];
          break;
        }
        best = o[1];
        node = (node as Record<string, unknown>)[String(seg)];
      } else if (Array.isArray(offsets) && typeof seg === "number") {
        const o = offsets[seg];
        if (o === undefined) break;
        best = o;
        node = (node as unknown[])[seg];
      } else break;
    }
    return best;
  }

  private linePos(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (this.starts[lo] as number) + 1 };
  }

  /** Skips blank and comment-only lines. */
  private skipTrivia(): void {
    while (this.i < this.lines.length && /^\s*(#.*)?$/.test(this.lines[this.i] as string)) this.i++;
  }

  /**
   * After a collection's entry: the next line when it is at the collection's `indent`, or
   * undefined when the collection ends there (end of text or a shallower line). A deeper
   * line would continue the entry, which the entry's reader has already refused.
   */
  private nextEntry(indent: number): string | undefined {
    this.skipTrivia();
    const next = this.lines[this.i];
    if (next === undefined) return undefined;
    const n = indentOf(next);
    if (n < indent) return undefined;
    if (n > indent) decline();
    return next;
  }

  /** A block mapping whose entries start at `indent`; the first one at column `col` of line i. */
  private mapping(indent: number, col: number): { value: Record<string, unknown>; offset: number } {
    const out: Record<string, unknown> = {};
    const offsets = new Map<string, readonly [number, number]>();
    let c = col;
    let offset = -1;
    for (;;) {
      const line = this.lines[this.i] as string;
      const key = readKey(line, c);
      if (!key || offsets.has(key.key) || key.key === "__proto__") decline();
      const keyOffset = (this.starts[this.i] as number) + c;
      if (offset < 0) offset = keyOffset;
      const v = this.value(line, key.end, indent, true);
      out[key.key] = v.value;
      offsets.set(key.key, [keyOffset, v.offset]);
      const next = this.nextEntry(indent);
      if (next === undefined) break;
      if (
        next[indent] === "-" &&
        (next.length === indent + 1 || /\s/.test(next[indent + 1] as string))
      )
        break; // an indentless list's end, or an error
      c = indent;
    }
    this.offsets.set(out, offsets);
    return { value: out, offset };
  }

  /** A block sequence whose `-` are at `indent` (line i). */
  private sequence(indent: number): { value: unknown[]; offset: number } {
    const out: unknown[] = [];
    const offsets: number[] = [];
    const offset = (this.starts[this.i] as number) + indent;
    for (;;) {
      const line = this.lines[this.i] as string;
      if (!dashAt(line, indent)) decline();
      let c = indent + 1;
      while (line[c] === " ") c++;
      if (c >= line.length || line[c] === "#") {
        // The item is the block below it.
        this.i++;
        this.skipTrivia();
        const next = this.lines[this.i];
        if (next === undefined || indentOf(next) <= indent) decline();
        const v = this.block(indentOf(next), indent, false);
        out.push(v.value);
        offsets.push(v.offset);
      } else if (dashAt(line, c)) {
        decline(); // a list in a list on one line
      } else if (readKey(line, c)) {
        const v = this.mapping(c, c);
        out.push(v.value);
        offsets.push(v.offset);
      } else {
        const v = this.inline(line, c, indent);
        out.push(v.value);
        offsets.push(v.offset);
      }
      const next = this.nextEntry(indent);
      if (next === undefined) break;
      if (!dashAt(next, indent)) break; // the parent mapping's next key (indentless list)
    }
    this.offsets.set(out, offsets);
    return { value: out, offset };
  }

  /** The mapping or sequence starting at line i, indented `indent` (> parent's, or = for a list). */
  private block(
    indent: number,
    parent: number,
    indentlessList: boolean,
  ): { value: unknown; offset: number } {
    const line = this.lines[this.i] as string;
    if (dashAt(line, indent)) {
      if (indent < parent || (indent === parent && !indentlessList)) decline();
      return this.sequence(indent);
    }
    if (indent <= parent || !readKey(line, indent)) decline();
    return this.mapping(indent, indent);
  }

  /** The value after a key's `:` at column `col` of `line`; `indent` is the mapping's. */
  private value(
    line: string,
    col: number,
    indent: number,
    indentlessList: boolean,
  ): { value: unknown; offset: number } {
    let c = col;
    while (line[c] === " ") c++;
    if (c < line.length && line[c] !== "#") return this.inline(line, c, indent);
    const comment = c < line.length;
    const emptyAt = (this.starts[this.i] as number) + col;
    this.i++;
    this.skipTrivia();
    const next = this.lines[this.i];
    const n = next === undefined ? -1 : indentOf(next);
    if (next !== undefined && (n > indent || (n === indent && indentlessList && dashAt(next, n))))
      return this.block(n, indent, indentlessList);
    // An empty value: null, placed right after the colon (as the yaml library places it).
    if (comment || c > col) decline();
    return { value: null, offset: emptyAt };
  }

  /** A scalar or empty collection starting at column `c` of `line` (line i); `indent`: its parent's. */
  private inline(line: string, c: number, indent: number): { value: unknown; offset: number } {
    const offset = (this.starts[this.i] as number) + c;
    const ch = line[c];
    let value: unknown;
    let end: number;
    if (ch === "|") return { value: this.literal(line, c, indent), offset };
    if (ch === '"' || ch === "'") {
      const q = quoted(line, c);
      if (!q) decline();
      value = q.value;
      end = q.end;
    } else if (line.startsWith("[]", c) || line.startsWith("{}", c)) {
      value = ch === "[" ? [] : {};
      this.offsets.set(value as object, ch === "[" ? [] : new Map());
      end = c + 2;
    } else {
      if (matchesAt(INDICATOR, line, c) && !matchesAt(PLAIN_INDICATOR, line, c)) decline();
      const hash = line.indexOf(" #", c);
      const raw = (hash < 0 ? line.slice(c) : line.slice(c, hash)).trimEnd();
      if (/:( |$)/.test(raw) || raw.includes(" #")) decline();
      value = plainScalar(raw);
      end = c + raw.length;
      // A more indented line below would continue the plain scalar (or be an error).
      this.i++;
      this.skipTrivia();
      const next = this.lines[this.i];
      if (next !== undefined && indentOf(next) > indent) decline();
      return { value, offset };
    }
    // After a quoted scalar or an empty collection: nothing, or a comment after a space.
    if (!matchesAt(LINE_REST, line, end)) decline();
    this.i++;
    this.skipTrivia();
    const next = this.lines[this.i];
    if (next !== undefined && indentOf(next) > indent) decline();
    return { value, offset };
  }

  /** A `|`, `|-` or `|+`-less literal block whose header is at column `c` of line i. */
  private literal(line: string, c: number, indent: number): string {
    const header = /^\|(-?)\s*(#.*)?$/.exec(line.slice(c));
    if (!header || /\S#/.test(line.slice(c))) decline();
    const strip = header[1] === "-";
    this.i++;
    const first = this.lines[this.i];
    if (first === undefined || first.trim() === "") decline();
    const n = indentOf(first);
    if (n <= indent) decline();
    const body: string[] = [];
    let last = this.i;
    while (this.i < this.lines.length) {
      const l = this.lines[this.i] as string;
      if (l.trim() === "") {
        if (l.length > n) decline(); // spaces that would be content
        body.push("");
      } else if (indentOf(l) >= n) {
        body.push(l.slice(n));
        last = this.i;
      } else break;
      this.i++;
    }
    // The text ends without a line break after the block: not ours to get right.
    if (last === this.lines.length - 1) decline();
    while (body.length > 0 && body[body.length - 1] === "") body.pop();
    if (body.length === 0) decline();
    return strip ? body.join("\n") : `${body.join("\n")}\n`;
  }
}

function indentOf(line: string): number {
  let n = 0;
  while (line[n] === " ") n++;
  return n;
}

/** A mapping key at column `c`: its text and the column after its `:`; undefined if none. */
function readKey(line: string, c: number): { key: string; end: number } | undefined {
  const ch = line[c];
  if (ch === '"' || ch === "'") {
    const q = quoted(line, c);
    if (!q) return undefined;
    let e = q.end;
    while (line[e] === " ") e++;
    if (line[e] !== ":" || (e + 1 < line.length && line[e + 1] !== " ")) return undefined;
    return { key: q.value, end: e + 1 };
  }
  if (ch === undefined || matchesAt(INDICATOR, line, c)) return undefined;
  // The first ":" followed by a space or the end of the line.
  let colon = line.indexOf(":", c);
  while (colon >= 0 && colon + 1 < line.length && line[colon + 1] !== " ")
    colon = line.indexOf(":", colon + 1);
  if (colon < 0) return undefined;
  const raw = line.slice(c, colon);
  if (raw.includes(" #") || raw.length > 1000) return undefined;
  const key = raw.trimEnd();
  if (key !== raw) return undefined; // "a :" — rare; the full reader knows its rules
  return { key, end: colon + 1 };
}

/** A quoted scalar starting at column `c` (one line): its value and the column after it. */
function quoted(line: string, c: number): { value: string; end: number } | undefined {
  const q = line[c];
  let out = "";
  for (let k = c + 1; k < line.length; k++) {
    const ch = line[k] as string;
    if (q === "'") {
      if (ch === "'") {
        if (line[k + 1] === "'") {
          out += "'";
          k++;
          continue;
        }
        return { value: out, end: k + 1 };
      }
      out += ch;
      continue;
    }
    if (ch === '"') return { value: out, end: k + 1 };
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const e = line[k + 1];
    if (e === undefined) return undefined;
    if (e in DOUBLE_ESCAPES) {
      out += DOUBLE_ESCAPES[e];
      k++;
    } else if (e === "u" || e === "x") {
      const len = e === "u" ? 4 : 2;
      const hex = line.slice(k + 2, k + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (code >= 0xd800 && code <= 0xdfff) return undefined;
      out += String.fromCharCode(code);
      k += 1 + len;
    } else return undefined;
  }
  return undefined;
}
