import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from "yaml";
import type { Path } from "../schema/issue.js";

/** 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * The source position of `path` in a parsed YAML document: the key of the
 * last element (`at: "key"`) or its value. Falls back to the nearest ancestor
 * that exists in the source (e.g. a value that came through an alias).
 */
export function positionOf(
  doc: Document,
  lines: LineCounter,
  path: Path,
  at: "key" | "value",
): Position {
  let node: unknown = doc.contents;
  let best: Node | null = (doc.contents as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      if (last && at === "key") {
        best = key;
        break;
      }
      best = value?.range ? value : key;
      node = value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      best = item;
      node = item;
    } else {
      break;
    }
  }
  const offset = best?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, col };
}
