import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, Scalar } from "yaml";

/**
 * Converts a YAML document (parsed with the failsafe schema, so every scalar
 * is its source text) to JSON the way Envoy does before protobuf's JSON
 * parser sees it (`source/common/protobuf/yaml_utility.cc`, checked against
 * Envoy 1.40 by the differential test):
 * - quoted and block scalars are strings;
 * - a plain scalar is null (`~`, `null`, empty), else a bool if yaml-cpp
 *   reads one (`true`, `yes`, `on`, `y`… in three casings), else an integer if
 *   it parses as one (decimal, `0x` hex, leading-`0` octal) — a number within
 *   int32, otherwise its decimal string — else the string as written
 *   (floats included: `1.5` stays "1.5").
 */
export function envoyYamlToJson(doc: Document): unknown {
  let budget = 1_000_000; // anchors can expand exponentially; stop well before memory does
  const visit = (node: unknown, depth: number): unknown => {
    if (--budget < 0) throw new Error("document too large after expanding aliases");
    if (depth > 512) throw new Error("document nested too deeply");
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return visit(node.resolve(doc), depth + 1);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(visit(pair.key, depth + 1));
        out[k] = visit(pair.value, depth + 1);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((i) => visit(i, depth + 1));
    if (isScalar(node)) return scalar(node);
    return null;
  };
  return visit(doc.contents as Node | null, 0);
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const FALSE = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function scalar(node: Scalar): unknown {
  const text = String(node.value ?? "");
  if (node.type !== Scalar.PLAIN && node.type !== undefined) return text;
  if (NULLS.has(text)) return null;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  const n = yamlCppInt(text);
  if (n !== undefined) {
    if (n >= BigInt(INT32_MIN) && n <= BigInt(INT32_MAX)) return Number(n);
    return n.toString();
  }
  return text;
}

/** yaml-cpp's integer conversion: sign, then decimal, `0x` hex or leading-zero octal; int64 range. */
function yamlCppInt(s: string): bigint | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2] as string;
  let v: bigint;
  if (body.startsWith("0x")) v = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === "-") v = -v;
  if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) return undefined;
  return v;
}
