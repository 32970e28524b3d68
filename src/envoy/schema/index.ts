export { type Decoded, type DecodedMessage, decodeMessage, parseDuration } from "./decode.js";
export { hasSourceField, type Issue, type Path, pathOf, type Severity } from "./issue.js";
export { type EnvoyApi, envoyApi, envoyProtoRoots } from "./protos.js";
