/**
 * Runs the demo backend alone: `tsx demo/server/main.ts`.
 * Env: GWO_CERT_DIR (.certs), GWO_BACKEND_PORT (50051), GWO_GRPC_WEB_PORT (8443),
 * GWO_IDP_PORT (9443; the issuer is https://localhost:PORT unless GWO_ISSUER is set),
 * GWO_JWKS_URI (default: from the issuer's discovery document), GWO_WEB_PORT (5173; the
 * allowed CORS origin is https://localhost:PORT unless GWO_ALLOWED_ORIGINS is set,
 * comma-separated), GWO_HOST (127.0.0.1). Logs are JSON lines on stdout.
 */
import { readFileSync } from "node:fs";
import { createCaFetch } from "../../src/server/index.js";
import { ensureDevPki } from "../pki.js";
import { startBackend } from "./server.js";

const env = process.env;
const pki = ensureDevPki(env.GWO_CERT_DIR || undefined);
const issuer = env.GWO_ISSUER ?? `https://localhost:${env.GWO_IDP_PORT ?? "9443"}`;
// oidc-provider serves its JWKS at /jwks; discovery is preferred when the IdP is up.
const jwksUri =
  env.GWO_JWKS_URI ??
  (await discoverJwks(issuer, readFileSync(pki.ca.cert)).catch(() => `${issuer}/jwks`));
const allowedOrigins = (
  env.GWO_ALLOWED_ORIGINS ?? `https://localhost:${env.GWO_WEB_PORT ?? "5173"}`
)
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

const backend = await startBackend({
  pki,
  issuer,
  jwksUri,
  mtlsPort: Number(env.GWO_BACKEND_PORT ?? 50051),
  webPort: Number(env.GWO_GRPC_WEB_PORT ?? 8443),
  host: env.GWO_HOST ?? "127.0.0.1",
  allowedOrigins,
  log: (record) => process.stdout.write(`${JSON.stringify(record)}\n`),
});
console.log(`backend mTLS gRPC      localhost:${backend.mtlsPort} (peers: gateway only)`);
console.log(
  `backend gRPC-Web (dev) https://localhost:${backend.webPort} (CORS: ${allowedOrigins.join(", ")})`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void backend.close().then(() => process.exit(0));
  });
}

async function discoverJwks(issuerUrl: string, ca: Buffer): Promise<string> {
  const url = `${issuerUrl.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const res = await createCaFetch({ ca })(url, {
    method: "GET",
    headers: new Headers(),
    redirect: "manual",
    signal: new AbortController().signal,
  });
  const uri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri;
  if (typeof uri !== "string") throw new Error("discovery document has no jwks_uri");
  return uri;
}
