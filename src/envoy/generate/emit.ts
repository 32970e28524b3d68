/** Generates the bundle from a model and protobuf-es service descriptors (render.ts prints it). */
import type { DescService } from "@bufbuild/protobuf";
import { type AccessPolicyOptions, buildAccessPolicy } from "../../access/policy.js";
import type { GatewayModel } from "./model.js";
import { type GatewayBundle, renderGateway } from "./render.js";

export { emitYaml, type GatewayBundle, GENERATED_HEADER } from "./render.js";

/** Options for {@link generateGateway}. */
export interface GenerateOptions {
  /** Passed to buildAccessPolicy (health exposure, overrides). @default {} */
  readonly access?: AccessPolicyOptions;
  /** Extra comment lines after the header, e.g. the source file. @default [] */
  readonly comments?: readonly string[];
}

/** Builds the bundle for `model` with the access policy of `services`. Throws AccessPolicyError. */
export function generateGateway(
  model: GatewayModel,
  services: readonly DescService[],
  options: GenerateOptions = {},
): GatewayBundle {
  return renderGateway(model, buildAccessPolicy(services, options.access), options.comments);
}
