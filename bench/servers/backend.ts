/**
 * The demo backend in a process of its own, for benches that measure it from outside:
 * a token signer (HTTPS JWKS) and `startBackend` with the options given as JSON in argv[2].
 * Prints one JSON line (ports, issuer, a token good for an hour) and runs until stdin closes.
 */
import { createInterface } from "node:readline";
import { ensureDevPki } from "../../demo/pki.js";
import { startBackend } from "../../demo/server/server.js";
import type { VerifiedTokenCacheOptions } from "../../src/server/index.js";
import { ORIGIN, startSigner } from "../../test/helpers/gateway-stack.js";

export interface BackendProcessOptions {
  /** Where the development PKI lives (shared with Envoy and the client). */
  pkiDir: string;
  tokenCache?: VerifiedTokenCacheOptions | false;
  unsafeWithoutAuth?: boolean;
}

const o = JSON.parse(process.argv[2] ?? "{}") as BackendProcessOptions;
const pki = ensureDevPki(o.pkiDir);
const signer = await startSigner(pki);
const backend = await startBackend({
  pki,
  issuer: signer.issuer,
  jwksUri: signer.jwksUri,
  allowedOrigins: [ORIGIN],
  reloadTls: false,
  ...(o.tokenCache === undefined ? {} : { tokenCache: o.tokenCache }),
  ...(o.unsafeWithoutAuth ? { unsafeWithoutAuth: true } : {}),
});
const token = await signer.mint({ scope: "notes.read notes.write", expiresIn: 3600 });
process.stdout.write(
  `${JSON.stringify({
    webPort: backend.webPort,
    mtlsPort: backend.mtlsPort,
    issuer: signer.issuer,
    jwksUri: signer.jwksUri,
    token,
  })}\n`,
);
let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await backend.close();
  await signer.close();
  process.exit(0);
};
process.stdin.on("end", close);
// "gc" on stdin: collect garbage (the process runs with --expose-gc) and report memory, so a
// memory bench reads what is retained rather than what the collector has not reclaimed yet.
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() !== "gc") return;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed })}\n`);
});
process.on("SIGTERM", close);
