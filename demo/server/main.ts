/**
 * Runs the demo backend alone: `tsx demo/server/main.ts`.
 * Env: GWO_CERT_DIR (.certs), GWO_BACKEND_PORT (50051), GWO_GRPC_WEB_PORT (8443),
 * GWO_IDP_PORT (9443; the issuer is https://localhost:PORT unless GWO_ISSUER is set),
 * GWO_JWKS_URI (default: from the issuer's discovery document, looked up when the first token
 * arrives and retried with backoff while the IdP is down), the claim settings GWO_AUDIENCE,
 * GWO_TOKEN_TYPE, GWO_SCOPE_CLAIM, GWO_ROLES_CLAIM, GWO_REQUIRED_CLAIMS, GWO_CLOCK_SKEW
 * (demo/claims-env.ts), GWO_WEB_PORT (5173; the
 * allowed CORS origin is https://localhost:PORT unless GWO_ALLOWED_ORIGINS is set,
 * comma-separated), GWO_HOST (127.0.0.1). Logs are JSON lines on stdout.
 */
import { ClaimEnvError, claimSettingsFromEnv } from "../claims-env.js";
import { ensureDevPki } from "../pki.js";
import { startBackend } from "./server.js";

const env = process.env;
const pki = ensureDevPki(env.GWO_CERT_DIR || undefined);
const issuer = env.GWO_ISSUER ?? `https://localhost:${env.GWO_IDP_PORT ?? "9443"}`;
let claims: ReturnType<typeof claimSettingsFromEnv>;
try {
  claims = claimSettingsFromEnv(env, issuer);
} catch (err) {
  if (!(err instanceof ClaimEnvError)) throw err;
  console.error(`backend: ${err.message}`);
  process.exit(2);
}
const allowedOrigins = (
  env.GWO_ALLOWED_ORIGINS ?? `https://localhost:${env.GWO_WEB_PORT ?? "5173"}`
)
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

const backend = await startBackend({
  pki,
  issuer,
  claims,
  ...(env.GWO_JWKS_URI ? { jwksUri: env.GWO_JWKS_URI } : {}),
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
