/**
 * A token issuer whose JWKS endpoint can be switched off and on: `down()` closes its listener
 * (connections refused), `failing()` answers HTTP 503, `up()` serves the keys. Every JWKS
 * request is timestamped, so a test can see how often the gateway or the backend asked while
 * the IdP was away (their backoff). `rotate()` publishes a new signing key in front of the old
 * one (an IdP's key rotation: tokens get a `kid` the verifiers have not seen).
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { DEMO_API_AUDIENCE } from "../../demo/oidc-client.js";
import type { DevPki } from "../../demo/pki.js";

export interface FlakyIdp {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly port: number;
  /** performance.now() of every JWKS request that reached the server. */
  readonly jwksRequests: number[];
  /** Signs an access token (`typ: at+jwt`, audience the demo API) with the current key. */
  mint(o?: { sub?: string; scope?: string; expiresIn?: number }): Promise<string>;
  /** Closes the listener: connections are refused. */
  down(): Promise<void>;
  /** Listening, but every JWKS request gets HTTP 503. */
  failing(): Promise<void>;
  /** Listening and serving the keys. */
  up(): Promise<void>;
  /** A new signing key, published first in the JWKS; the old one stays published. */
  rotate(): Promise<string>;
  /**
   * A second JWKS endpoint serving the same keys, always up, with its own request log: give
   * it to one verifier (the backend) and the switchable one to the other (the gateway) to see
   * each one's fetches apart.
   */
  mirror(): Promise<{ jwksUri: string; jwksRequests: number[]; close(): Promise<void> }>;
  close(): Promise<void>;
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(n: number): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = `flaky-${n}`;
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

/** Starts it up (serving) on `port` (0: any free port, then kept across down/up). */
export async function startFlakyIdp(pki: DevPki, o: { port?: number } = {}): Promise<FlakyIdp> {
  const keys: Key[] = [await newKey(1)];
  const jwksRequests: number[] = [];
  let mode: "up" | "failing" = "up";
  let issuer = "";
  const server: Server = createServer(
    { cert: readFileSync(pki.localhost.cert), key: readFileSync(pki.localhost.key) },
    (req, res) => {
      if (req.url === "/jwks") {
        jwksRequests.push(performance.now());
        if (mode === "failing") {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/jwk-set+json" });
        res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
        return;
      }
      if (req.url === "/.well-known/openid-configuration") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
        return;
      }
      res.writeHead(404).end();
    },
  );
  const tlsOptions = {
    cert: readFileSync(pki.localhost.cert),
    key: readFileSync(pki.localhost.key),
  };
  await once(server.listen(o.port ?? 0, "127.0.0.1"), "listening");
  const port = (server.address() as AddressInfo).port;
  issuer = `https://localhost:${port}`;
  let listening = true;
  const listen = async () => {
    if (listening) return;
    await once(server.listen(port, "127.0.0.1"), "listening");
    listening = true;
  };
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    port,
    jwksRequests,
    async mint(m = {}) {
      const key = keys[0] as Key;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: m.scope ?? "notes.read notes.write", roles: [] })
        .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt" })
        .setIssuer(issuer)
        .setAudience(DEMO_API_AUDIENCE)
        .setSubject(m.sub ?? "user-1")
        .setIssuedAt(now)
        .setExpirationTime(now + (m.expiresIn ?? 300))
        .sign(key.privateKey);
    },
    async down() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
    async failing() {
      mode = "failing";
      await listen();
    },
    async up() {
      mode = "up";
      await listen();
    },
    async mirror() {
      const requests: number[] = [];
      const m = createServer(tlsOptions, (req, res) => {
        if (req.url !== "/jwks") {
          res.writeHead(404).end();
          return;
        }
        requests.push(performance.now());
        res.writeHead(200, { "content-type": "application/jwk-set+json" });
        res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      });
      await once(m.listen(0, "127.0.0.1"), "listening");
      return {
        jwksUri: `https://localhost:${(m.address() as AddressInfo).port}/jwks`,
        jwksRequests: requests,
        close: () =>
          new Promise<void>((r) => {
            m.close(() => r());
            m.closeAllConnections();
          }),
      };
    },
    async rotate() {
      const key = await newKey(keys.length + 1);
      keys.unshift(key);
      return key.kid;
    },
    async close() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
