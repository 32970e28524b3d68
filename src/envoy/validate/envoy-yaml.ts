import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, Scalar } from "yaml";
import { plainScalar } from "../yaml/plain-scalar.js";

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

function scalar(node: Scalar): unknown {
  const text = String(node.value ?? "");
  if (node.type !== Scalar.PLAIN && node.type !== undefined) return text;
  return plainScalar(text);
}
