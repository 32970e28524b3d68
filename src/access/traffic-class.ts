import type { MethodPolicy } from "./policy.js";

/**
 * Who a method's calls compete with for upstream capacity: calls anyone can make without a
 * token, long-lived streams, and ordinary signed-in unary calls. The gateway gives each class
 * its own budget (circuit breaker) so one cannot spend what the others need; the lint checks it.
 */
export type TrafficClass = "public" | "streaming" | "unary";

/** The class of a method: public (no token) first, then streaming (any kind), else unary. */
export function trafficClassOf(m: Pick<MethodPolicy, "kind" | "rule">): TrafficClass {
  if (m.rule?.kind === "public") return "public";
  return m.kind === "unary" ? "unary" : "streaming";
}
