/**
 * The production path as tests start it: a token signer (HTTPS JWKS on loopback, tokens
 * with any claims), the demo backend trusting it, and Envoy (the generated config) in
 * front of the backend. Shared by the gateway suites and the foreign-client suites.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  DEMO_API_AUDIENCE,
  type RunningEnvoy,
  type StartEnvoyOptions,
  startEnvoy,
} from "../../demo/envoy.js";
import type { DevPki } from "../../demo/pki.js";
import { type Backend, type BackendOptions, startBackend } from "../../demo/server/server.js";

export const ORIGIN = "https://localhost:5173";

export type Signer = Awaited<ReturnType<typeof startSigner>>;

/** An OIDC-shaped token signer: HTTPS JWKS on loopback, tokens with any claims. */
export async function startSigner(pki: DevPki) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const forger = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "test-1", alg: "ES256", use: "sig" };
  let issuer = "";
  const server: Server = createServer(
    { cert: readFileSync(pki.localhost.cert), key: readFileSync(pki.localhost.key) },
    (req, res) => {
      const body =
        req.url === "/jwks"
          ? { keys: [jwk] }
          : req.url === "/.well-known/openid-configuration"
            ? { issuer, jwks_uri: `${issuer}/jwks` }
            : undefined;
      res
        .writeHead(body ? 200 : 404, { "content-type": "application/json" })
        .end(JSON.stringify(body ?? {}));
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  issuer = `https://localhost:${(server.address() as AddressInfo).port}`;
  const mint = (o: {
    scope?: string;
    roles?: string[];
    expiresIn?: number;
    aud?: string;
    forged?: boolean;
  }) => {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (o.expiresIn ?? 300);
    return new SignJWT({ scope: o.scope ?? "", roles: o.roles ?? [] })
      .setProtectedHeader({ alg: "ES256", kid: "test-1", typ: "at+jwt" })
      .setIssuer(issuer)
      .setAudience(o.aud ?? DEMO_API_AUDIENCE)
      .setSubject("user-1")
      .setIssuedAt(Math.min(now, exp - 60))
      .setExpirationTime(exp)
      .sign(o.forged ? forger.privateKey : privateKey);
  };
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    mint,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Gateway {
  signer: Signer;
  backend: Backend;
  envoy: RunningEnvoy;
  close(): Promise<void>;
}

/** The test signer, a backend that trusts it, and Envoy in front of the backend. */
export async function startGateway(
  pki: DevPki,
  extra: {
    backend?: Pick<BackendOptions, "allowedPeers">;
    envoy?: Pick<StartEnvoyOptions, "probePort" | "rateLimit" | "log">;
    /** Browser origins both the gateway and the dev listener allow. @default [ORIGIN] */
    allowedOrigins?: string[];
  } = {},
): Promise<Gateway> {
  const allowedOrigins = extra.allowedOrigins ?? [ORIGIN];
  const signer = await startSigner(pki);
  const backend = await startBackend({
    pki,
    issuer: signer.issuer,
    jwksUri: signer.jwksUri,
    allowedOrigins,
    ...extra.backend,
  });
  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy({
      pki,
      idpIssuer: signer.issuer,
      jwksUri: signer.jwksUri,
      backendPort: backend.mtlsPort,
      allowedOrigins,
      ...extra.envoy,
    });
  } catch (err) {
    await backend.close();
    await signer.close();
    throw err;
  }
  return {
    signer,
    backend,
    envoy,
    async close() {
      await envoy.close();
      await backend.close();
      await signer.close();
    },
  };
}

/** Whether a matching Envoy log line shows up within 5 s (access logs are flushed every 200 ms). */
export async function logged(
  lines: readonly string[],
  match: (line: string) => boolean,
): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (lines.some(match)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
