/**
 * The full YAML reader for what the fast one (yaml/simple.ts) declines: the yaml library,
 * then Envoy's conversion (envoy-yaml.ts) and positions (yaml/positions.ts). A module of its
 * own, imported only when needed, and importing the library statically: the CLI bundle reads
 * yaml's CommonJS build, whose named exports a static import gets but a dynamic `import("yaml")`
 * does not (it got only `default`, and every declined config failed with "LineCounter is not
 * a constructor").
 */
import { LineCounter, parseDocument } from "yaml";
import type { Path } from "../schema/issue.js";
import { type Position, positionOf } from "../yaml/positions.js";
import { envoyYamlToJson } from "./envoy-yaml.js";
import type { Finding } from "./finding.js";

/** A document read as Envoy's JSON, and where each path of it is in the source. */
export interface ReadDocument {
  readonly json: unknown;
  position(path: Path, at: "key" | "value"): Position;
  /** Warnings found while reading (duplicate keys). */
  readonly warnings: readonly Finding[];
}

/** `text` read with the yaml library, or the findings when it is not a readable document. */
export function readFullYaml(text: string, file: string): ReadDocument | Finding[] {
  const lines = new LineCounter();
  const at = (offset: number, rule: string, message: string): Finding => {
    const p = lines.linePos(offset);
    return { file, line: p.line, col: p.col, rule, severity: "error", message };
  };
  let doc: ReturnType<typeof parseDocument>;
  try {
    // Failsafe: every scalar is its text; envoyYamlToJson applies Envoy's own conversion.
    doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      schema: "failsafe",
    });
  } catch (e) {
    return [at(0, "yaml-syntax", e instanceof Error ? e.message : "unparseable YAML")];
  }
  const syntax = doc.errors.filter((e) => e.code !== "DUPLICATE_KEY");
  if (syntax.length > 0) {
    // Later errors are mostly cascades of the first: report that one.
    const e = syntax[0] as (typeof syntax)[number];
    return [at(e.pos[0], "yaml-syntax", e.message.split("\n")[0] ?? e.code)];
  }
  // Envoy accepts duplicate keys (one value silently wins): a warning.
  const warnings = doc.errors.map(
    (e): Finding => ({
      ...at(e.pos[0], "duplicate-key", ""),
      severity: "warning",
      message: "warning: duplicate key; Envoy keeps only one of the values",
    }),
  );
  let json: unknown;
  try {
    json = envoyYamlToJson(doc);
  } catch (e) {
    return [
      at(
        0,
        "yaml-syntax",
        e instanceof Error ? (e.message.split("\n")[0] ?? "bad YAML") : "bad YAML",
      ),
    ];
  }
  return { json, warnings, position: (path, at) => positionOf(doc, lines, path, at) };
}
