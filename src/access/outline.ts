/**
 * The access policy built from service outlines: what a policy needs of a service (its
 * name, and each method's name, streaming kind and access option), as plain data. This
 * module loads no protobuf runtime, so the CLI can build a policy from an outline it cached
 * from a `buf build` image without decoding the image again (`src/envoy/proto-image/`);
 * `buildAccessPolicy` (policy.ts) outlines protobuf-es descriptors and comes here too.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { methodPath } from "../common/method-path.js";
import {
  type AccessDecision,
  AccessPolicyError,
  type AccessRule,
  evaluateRule,
  type MethodAccessFields,
  type Principal,
  ruleFromOption,
} from "./rule.js";

/** One method of a {@link ServiceOutline}. */
export interface MethodOutline {
  readonly name: string;
  readonly kind: DescMethod["methodKind"];
  /** The `(grpcweboidc.v1.access)` option as written, or undefined when the method has none. */
  readonly access: MethodAccessFields | undefined;
}

/** A service as the access policy sees it, e.g. `{ typeName: "demo.v1.NotesService", methods }`. */
export interface ServiceOutline {
  readonly typeName: string;
  readonly methods: readonly MethodOutline[];
}

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

/**
 * The standard health service (`grpc/health/v1/health.proto`), outlined; the policy adds it
 * when `publicHealth` is on. A test pins it to the generated descriptor.
 */
export const HEALTH_OUTLINE: ServiceOutline = {
  typeName: "grpc.health.v1.Health",
  methods: [
    { name: "Check", kind: "unary", access: undefined },
    { name: "Watch", kind: "server_streaming", access: undefined },
  ],
};

export const HEALTH_SERVICE = HEALTH_OUTLINE.typeName;
export const HEALTH_PATHS: readonly [check: string, watch: string] = [
  `/${HEALTH_SERVICE}/Check`,
  `/${HEALTH_SERVICE}/Watch`,
];

/**
 * Builds the policy for outlined services. Throws AccessPolicyError on a malformed
 * option or an override that names no method: policy mistakes fail the build,
 * they never widen access.
 */
export function policyFromOutlines(
  services: readonly ServiceOutline[],
  options: AccessPolicyOptions = {},
): AccessPolicy {
  const publicHealth = options.publicHealth ?? true;
  const byPath = new Map<string, MethodPolicy>();
  const all = [...services];
  if (publicHealth && !all.some((s) => s.typeName === HEALTH_SERVICE)) all.push(HEALTH_OUTLINE);
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
        kind: m.kind,
        rule: isHealth
          ? { kind: "public" }
          : m.access && ruleFromOption(`${service.typeName}.${m.name}`, m.access),
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
