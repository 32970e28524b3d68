// `npm run pki [-- --force]`: creates (or with --force, rotates) the development PKI.
import { DEFAULT_PKI_DIR, ensureDevPki } from "./pki.js";

const pki = ensureDevPki(process.env.GWO_CERT_DIR ?? DEFAULT_PKI_DIR, {
  force: process.argv.includes("--force"),
});
process.stdout.write(
  `development PKI in ${pki.dir}\n  web CA:     ${pki.ca.cert}\n  gateway CA: ${pki.meshCa.cert}\n  web CA SPKI sha256: ${pki.caSpki}\n`,
);
