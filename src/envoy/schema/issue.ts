/** A location inside the decoded document: object keys (as written in the YAML) and array indexes. */
export type Path = readonly (string | number)[];

/** How bad a finding is: errors fail validation, warnings do not. */
export type Severity = "error" | "warning";

/** One problem found while decoding or checking a config, before it is given a line and column. */
export interface Issue {
  /** Where, as written in the source (original key spelling). */
  readonly path: Path;
  /** Point at the key of the last path element (e.g. an unknown field) or at its value. */
  readonly at: "key" | "value";
  /** Stable rule id, e.g. `unknown-field`, `pgv-string`, `plaintext-listener`. */
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
}

/**
 * Where each decoded object came from: its path in the source and, for each
 * canonical (proto) field name, the key as written (`statPrefix` or `stat_prefix`).
 */
interface Origin {
  readonly path: Path;
  readonly keys: Map<string, string>;
}

const origins = new WeakMap<object, Origin>();

/**
 * Records where a decoded object came from (used by the decoder). Takes `keys` over: the
 * caller hands in a map it no longer changes (addOriginKey changes it from then on).
 */
export function setOrigin(node: object, path: Path, keys: Map<string, string>): void {
  origins.set(node, { path, keys });
}

/** Adds one source key to a decoded object's origin. */
export function addOriginKey(node: object, field: string, key: string): void {
  origins.get(node)?.keys.set(field, key);
}

/** The source path of a decoded object, or of one of its fields (by proto name). */
export function pathOf(node: object, field?: string): Path {
  const o = origins.get(node);
  if (!o) return [];
  if (field === undefined) return o.path;
  const key = o.keys.get(field);
  return key === undefined ? o.path : [...o.path, key];
}

/** Whether `field` (proto name) was written in the source of `node`. */
export function hasSourceField(node: object, field: string): boolean {
  return origins.get(node)?.keys.has(field) ?? false;
}
