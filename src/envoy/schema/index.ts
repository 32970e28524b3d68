export { decodeMessage } from "./decode.js";
export { type Decoded, type DecodedMessage, parseDuration } from "./decoded.js";
export { hasSourceField, type Issue, type Path, pathOf, type Severity } from "./issue.js";
export { type EnvoyApi, envoyApi, envoyProtoRoots } from "./protos.js";
