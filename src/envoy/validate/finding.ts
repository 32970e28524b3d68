import type { Severity } from "../schema/issue.js";

/** One problem in a config, with its source position. */
export interface Finding {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** Stable rule id (schema, PGV, cross-reference or lint), e.g. `pgv-string`, `cors-origin-wildcard`. */
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
}
