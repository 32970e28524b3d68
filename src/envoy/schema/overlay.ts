import protobuf from "protobufjs";
import { applyOauth2Overlay } from "./overlay-oauth2.js";

/**
 * Fields Envoy added after the API snapshot shipped in `@grpc/grpc-js-xds`,
 * which the generated bundle uses. Each entry is checked against a real Envoy
 * (1.40) by the differential test; keep this list short and cite the change.
 *
 * - RBAC `sourced_metadata` (Principal and Permission), with `Principal.metadata`
 *   deprecated in its favour: Envoy 1.40 warns "Using deprecated option
 *   'envoy.config.rbac.v3.Principal.metadata'".
 */
const RBAC_OVERLAY = `
syntax = "proto3";
package envoy.config.rbac.v3;
enum MetadataSource {
  DYNAMIC = 0;
  ROUTE = 1;
}
message SourcedMetadata {
  envoy.type.matcher.v3.MetadataMatcher metadata_matcher = 1 [(validate.rules).message = {required: true}];
  MetadataSource metadata_source = 2 [(validate.rules).enum = {defined_only: true}];
}
`;

export { OVERLAY_VERSION } from "./overlay-version.js";

/** Applies the overlays once the types they extend are loaded (idempotent). */
export function applyOverlay(root: protobuf.Root): void {
  applyOauth2Overlay(root);
  applyRbacOverlay(root);
}

function applyRbacOverlay(root: protobuf.Root): void {
  let principal: protobuf.Type;
  let permission: protobuf.Type;
  try {
    principal = root.lookupType(".envoy.config.rbac.v3.Principal");
    permission = root.lookupType(".envoy.config.rbac.v3.Permission");
  } catch {
    return;
  }
  if (principal.fields.sourced_metadata) return; // a newer snapshot has it already
  protobuf.parse(RBAC_OVERLAY, root, { keepCase: true });
  const add = (type: protobuf.Type, oneof: string, id: number) => {
    const f = new protobuf.Field("sourced_metadata", id, "envoy.config.rbac.v3.SourcedMetadata");
    type.add(f);
    type.oneofs[oneof]?.add(f);
  };
  add(principal, "identifier", 13);
  add(permission, "rule", 14);
  const metadata = principal.fields.metadata;
  if (metadata) metadata.setOption("deprecated", true);
}
