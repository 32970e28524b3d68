/**
 * What the decoder produces and the helpers it shares with the PGV checks
 * (`pgv.ts`). A leaf: it imports no other schema module, so `decode.ts` and
 * `pgv.ts` both depend on it and not on each other in a circle.
 */
import type { Issue, Path } from "./issue.js";
import type { EnvoyTypes } from "./table.js";

/** A decoded (normalised) value: proto field names, enum names, `@type` kept on `Any`. */
export type Decoded = null | boolean | number | string | Decoded[] | { [key: string]: Decoded };
/** A decoded message. */
export type DecodedMessage = { [key: string]: Decoded };

/** Context shared by one decode run. */
export interface DecodeContext {
  readonly types: EnvoyTypes;
  readonly issues: Issue[];
  /** Called with every decoded message and its full type name (an index for later checks). */
  readonly onMessage?: (typeName: string, msg: DecodedMessage) => void;
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
/** The largest Duration protobuf allows (10,000 years). */
export const DURATION_MAX_SECONDS = 315576000000;

/** A JSON object (not null, not a list). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a proto3 JSON duration ("1.5s") to seconds; undefined when malformed. */
export function parseDuration(s: unknown): number | undefined {
  if (typeof s !== "string") return undefined;
  const m = DURATION.exec(s);
  if (!m) return undefined;
  const secs = Number(m[2]) + (m[3] ? Number(`0.${m[3]}`) : 0);
  if (Number(m[2]) > DURATION_MAX_SECONDS) return undefined;
  return m[1] ? -secs : secs;
}

/** Records an error issue. */
export function err(
  ctx: DecodeContext,
  path: Path,
  at: "key" | "value",
  rule: string,
  message: string,
): void {
  ctx.issues.push({ path, at, rule, severity: "error", message });
}
