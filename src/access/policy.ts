import { type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { methodPath } from "../common/method-path.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { access } from "../gen/grpcweboidc/v1/access_pb.js";
import {
  type AccessDecision,
  AccessPolicyError,
  type AccessRule,
  evaluateRule,
  type Principal,
  ruleFromOption,
} from "./rule.js";

/** One method and what its proto grants. */
export interface MethodPolicy {
  /** HTTP/2 path, e.g. `/demo.v1.NotesService/GetNote` (what Envoy matches on). */
  readonly path: string;
  readonly service: string;
  readonly method: string;
  /** `unary` or `server_streaming`, `client_streaming`, `bidi_streaming`. */
  readonly kind: DescMethod["methodKind"];
  /** Undefined: the method has no access option and is denied. */
  readonly rule: AccessRule | undefined;
  /** Where the rule came from. */
  readonly source: "proto" | "health" | "override";
}

export interface AccessPolicyOptions {
  /**
   * Expose `grpc.health.v1.Health/Check` and `Watch` without credentials.
   * @default true
   */
  publicHealth?: boolean;
  /**
   * Rules that replace the proto's, keyed by path (`/pkg.Service/Method`). Each
   * key must name a method of the given services, or building fails.
   * @default {}
   */
  overrides?: Readonly<Record<string, AccessRule>>;
}

/** The method access policy of a set of services: default deny, read from proto options. */
export interface AccessPolicy {
  /** Every known method, in service then declaration order. */
  readonly methods: readonly MethodPolicy[];
  /** The policy for a path, or undefined for a path that names no known method. */
  lookup(path: string): MethodPolicy | undefined;
  /** Decides a call; unknown paths and methods without a rule are denied. */
  evaluate(path: string, principal: Principal | undefined): AccessDecision;
}

export const HEALTH_SERVICE = Health.typeName;
export const HEALTH_PATHS: readonly [check: string, watch: string] = [
  methodPath({ service: Health, method: Health.method.check }),
  methodPath({ service: Health, method: Health.method.watch }),
];

/** Reads and validates the access option of one method (undefined = no option = deny). */
export function readMethodAccess(method: DescMethod): AccessRule | undefined {
  if (!hasOption(method, access)) return undefined;
  return ruleFromOption(`${method.parent.typeName}.${method.name}`, getOption(method, access));
}

/**
 * Builds the policy for `services`. Throws AccessPolicyError on a malformed
 * option or an override that names no method: policy mistakes fail the build,
 * they never widen access.
 */
export function buildAccessPolicy(
  services: readonly DescService[],
  options: AccessPolicyOptions = {},
): AccessPolicy {
  const publicHealth = options.publicHealth ?? true;
  const byPath = new Map<string, MethodPolicy>();
  const all = [...services];
  if (publicHealth && !all.some((s) => s.typeName === HEALTH_SERVICE)) all.push(Health);
  for (const service of all) {
    for (const m of service.methods) {
      const path = methodPath({ service, method: m });
      if (byPath.has(path)) {
        throw new AccessPolicyError(`${service.typeName}.${m.name}`, "service listed twice");
      }
      const isHealth = publicHealth && (HEALTH_PATHS as readonly string[]).includes(path);
      byPath.set(path, {
        path,
        service: service.typeName,
        method: m.name,
        kind: m.methodKind,
        rule: isHealth ? { kind: "public" } : readMethodAccess(m),
        source: isHealth ? "health" : "proto",
      });
    }
  }
  for (const [path, rule] of Object.entries(options.overrides ?? {})) {
    const existing = byPath.get(path);
    if (!existing) {
      throw new AccessPolicyError(path, "override names a method that does not exist");
    }
    byPath.set(path, { ...existing, rule, source: "override" });
  }
  const methods = [...byPath.values()];
  return {
    methods,
    lookup: (path) => byPath.get(path),
    evaluate: (path, principal) => evaluateRule(byPath.get(path)?.rule, principal),
  };
}
