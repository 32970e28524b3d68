import type { Decoded, DecodedMessage } from "../schema/decoded.js";

/** Whether a decoded value is a message (not a scalar, not a list). */
export function isMsg(v: unknown): v is DecodedMessage {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Nested field access on decoded messages: `get(hcm, "route_config", "virtual_hosts", 0)`. */
export function get(v: Decoded | undefined, ...keys: (string | number)[]): Decoded | undefined {
  let cur: Decoded | undefined = v;
  for (const k of keys) {
    if (typeof k === "number") cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isMsg(cur) ? cur[k] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The messages of a repeated field (anything else: none). */
export function msgs(v: Decoded | undefined): DecodedMessage[] {
  return Array.isArray(v) ? v.filter(isMsg) : [];
}

/** A decoded integer field: 64-bit ones decode as strings (JSON's rule for int64/uint64). */
export function integer(v: Decoded | undefined): number | undefined {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** The `@type` of an `Any`. */
export function typeOf(v: Decoded | undefined): string | undefined {
  const t = get(v, "@type");
  return typeof t === "string" ? t : undefined;
}

/** `v` when it is an `Any` of the message type `typeName` (a full name, e.g. `T.hcm`). */
export function anyOf(v: Decoded | undefined, typeName: string): DecodedMessage | undefined {
  return isMsg(v) && typeOf(v) === `type.googleapis.com/${typeName}` ? v : undefined;
}
