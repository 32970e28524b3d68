import type { MethodAccess } from "../gen/grpcweboidc/v1/access_pb.js";

/**
 * What a method's access option grants, after validation. A method with no
 * rule is denied (default deny); there is no "allow all" rule but `public`.
 */
export type AccessRule =
  | { readonly kind: "public" }
  | { readonly kind: "authenticated" }
  | {
      readonly kind: "claims";
      /** Any-of; empty means "no scope requirement". */
      readonly scopes: readonly string[];
      /** Any-of; empty means "no role requirement". */
      readonly roles: readonly string[];
    };

/** A caller as established from a verified token. */
export interface Principal {
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
}

/** Why a call was allowed or denied; stable strings, safe to log. */
export type AccessReason =
  | "public"
  | "authenticated"
  | "granted"
  | "no-policy"
  | "no-credentials"
  | "missing-scope"
  | "missing-role";

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason: AccessReason;
}

/** Raised when an access option is malformed. Names the method and the rule broken. */
export class AccessPolicyError extends Error {
  override name = "AccessPolicyError";
  /** Stable across versions and across copies of the package (as jose's `JOSEError.code`). */
  readonly code = "ERR_ACCESS_POLICY" as const;
  constructor(
    /** Fully qualified method, e.g. `demo.v1.NotesService.GetNote`. */
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
  }
}

// Scope tokens per RFC 6749 §3.3: printable ASCII without space, quote or backslash.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const ROLE_NAME = /^[\x21-\x7E]+$/;

/** The fields of a `(grpcweboidc.v1.access)` option, as decoded (or read back from a cache). */
export type MethodAccessFields = Pick<
  MethodAccess,
  "public" | "scopes" | "roles" | "authenticated"
>;

/** Validates a decoded option and turns it into a rule. Throws AccessPolicyError. */
export function ruleFromOption(method: string, opt: MethodAccessFields): AccessRule {
  const hasLists = opt.scopes.length > 0 || opt.roles.length > 0;
  if (opt.public && (opt.authenticated || hasLists)) {
    throw new AccessPolicyError(method, "access option sets `public` together with other fields");
  }
  if (opt.authenticated && hasLists) {
    throw new AccessPolicyError(
      method,
      "access option sets `authenticated` together with scopes/roles",
    );
  }
  if (opt.public) return { kind: "public" };
  if (opt.authenticated) return { kind: "authenticated" };
  if (!hasLists) {
    throw new AccessPolicyError(
      method,
      "access option names nothing (set public, authenticated, scopes or roles)",
    );
  }
  for (const s of opt.scopes) {
    if (!SCOPE_TOKEN.test(s)) {
      throw new AccessPolicyError(
        method,
        `invalid scope ${JSON.stringify(s)} (RFC 6749 scope-token)`,
      );
    }
  }
  for (const r of opt.roles) {
    if (!ROLE_NAME.test(r)) {
      throw new AccessPolicyError(method, `invalid role ${JSON.stringify(r)}`);
    }
  }
  return { kind: "claims", scopes: dedupe(opt.scopes), roles: dedupe(opt.roles) };
}

/** Decides one call. `principal` is undefined when no valid token was presented. */
export function evaluateRule(
  rule: AccessRule | undefined,
  principal: Principal | undefined,
): AccessDecision {
  if (rule === undefined) return { allowed: false, reason: "no-policy" };
  if (rule.kind === "public") return { allowed: true, reason: "public" };
  if (principal === undefined) return { allowed: false, reason: "no-credentials" };
  if (rule.kind === "authenticated") return { allowed: true, reason: "authenticated" };
  if (rule.scopes.length > 0 && !rule.scopes.some((s) => principal.scopes.includes(s))) {
    return { allowed: false, reason: "missing-scope" };
  }
  if (rule.roles.length > 0 && !rule.roles.some((r) => principal.roles.includes(r))) {
    return { allowed: false, reason: "missing-role" };
  }
  return { allowed: true, reason: "granted" };
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
