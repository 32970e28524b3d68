export { type EnvoyBinary, envoyVersion, findEnvoy } from "./find-binary.js";
