import type { ConfigQuery } from "../query/index.js";
import type { Severity } from "../schema/issue.js";

/** The areas rules are grouped by; each is a folder of `src/envoy/lint/`. */
export type LintArea = "tls" | "jwt" | "rbac" | "cors" | "http" | "dpop" | "session" | "bounds";

/** What a rule sees: the decoded config, an index of messages by type, and the method policy. */
export type LintContext = ConfigQuery;

/** One finding of a rule: the decoded object, optionally one of its fields (proto name). */
export interface LintHit {
  readonly node: object;
  readonly field?: string;
  readonly message: string;
}

/** A security lint rule: a stable id, why it matters in one line, and a check on the decoded config. */
export interface LintRule {
  /** Stable id printed in findings, e.g. `plaintext-listener`. */
  readonly id: string;
  /** The folder the rule lives in, and its group in the README table. */
  readonly area: LintArea;
  readonly severity: Severity;
  /** One line: the risk the rule guards against. */
  readonly reason: string;
  readonly check: (ctx: LintContext) => Iterable<LintHit>;
}
