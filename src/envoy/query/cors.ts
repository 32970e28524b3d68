/** CORS: the policies of a config and the header lists they carry. */
import type { Decoded, DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { T } from "./type-names.js";
import { msgs } from "./values.js";

/** Every CORS policy: the cors filter's (`typed_per_filter_config`) and the deprecated route/virtual-host field's. */
export function corsPolicies(q: ConfigQuery): DecodedMessage[] {
  return [...q.all(T.corsPolicy), ...q.all(T.routeCorsPolicy)];
}

/** Every origin matcher (`allow_origin_string_match` entry) of every CORS policy. */
export function corsOriginMatchers(q: ConfigQuery): DecodedMessage[] {
  return corsPolicies(q).flatMap((p) => msgs(p.allow_origin_string_match));
}

/** A comma-separated header list (CORS `allow_headers`, `expose_headers`), lower-cased. */
export function headerList(v: Decoded | undefined): string[] {
  return typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
    : [];
}

/** The `required` headers a policy's `allow_headers` or `expose_headers` does not list. */
export function missingHeaders(
  policy: DecodedMessage,
  field: "allow_headers" | "expose_headers",
  required: readonly string[],
): string[] {
  const listed = headerList(policy[field]);
  return required.filter((h) => !listed.includes(h));
}
