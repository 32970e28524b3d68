import { type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { access } from "../gen/grpcweboidc/v1/access_pb.js";
import {
  type AccessPolicy,
  type AccessPolicyOptions,
  type MethodOutline,
  policyFromOutlines,
  type ServiceOutline,
} from "./outline.js";
import { type AccessRule, type MethodAccessFields, ruleFromOption } from "./rule.js";

export {
  type AccessPolicy,
  type AccessPolicyOptions,
  HEALTH_PATHS,
  HEALTH_SERVICE,
  type MethodOutline,
  type MethodPolicy,
  policyFromOutlines,
  type ServiceOutline,
} from "./outline.js";

/** The access option of one method as written, or undefined when it has none. */
function accessFields(method: DescMethod): MethodAccessFields | undefined {
  if (!hasOption(method, access)) return undefined;
  const { public: isPublic, scopes, roles, authenticated } = getOption(method, access);
  return { public: isPublic, scopes: [...scopes], roles: [...roles], authenticated };
}

/** Reads and validates the access option of one method (undefined = no option = deny). */
export function readMethodAccess(method: DescMethod): AccessRule | undefined {
  const fields = accessFields(method);
  return fields && ruleFromOption(`${method.parent.typeName}.${method.name}`, fields);
}

/** What the policy needs of a service descriptor, as plain data (JSON-safe, cacheable). */
export function outlineService(service: DescService): ServiceOutline {
  return {
    typeName: service.typeName,
    methods: service.methods.map(
      (m): MethodOutline => ({ name: m.name, kind: m.methodKind, access: accessFields(m) }),
    ),
  };
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
  return policyFromOutlines(services.map(outlineService), options);
}
