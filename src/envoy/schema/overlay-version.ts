/**
 * Names the overlays (overlay.ts, overlay-oauth2.ts); part of the API snapshot's key, so
 * change it with them. A leaf module: the snapshot reader checks it without loading the
 * overlays (and protobufjs).
 */
export const OVERLAY_VERSION = "rbac-sourced-metadata.oauth2-envoy-1.40";
