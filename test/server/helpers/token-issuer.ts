/**
 * A stand-in IdP for backend tests: an HTTPS JWKS endpoint (certificate from the
 * test PKI's web CA) with its own key pairs, and a token minter. Every token minted
 * is remembered so tests can prove no log line ever contains one.
 */
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { DEMO_API_AUDIENCE } from "../../../demo/oidc-client.js";
import type { DevPki } from "../../../demo/pki.js";

export const AUDIENCE = DEMO_API_AUDIENCE;

export interface MintOptions {
  /** Which key signs: a published RSA or EC key, or a rogue RSA key not in the JWKS. @default "rsa" */
  key?: "rsa" | "ec" | "rogue";
  /** Header `alg`. @default RS256 for RSA keys, ES256 for EC */
  alg?: string;
  /** Header `kid`; null omits it. @default the key's published kid */
  kid?: string | null;
  /** Extra protected-header fields (crit, jwk, jku, typ…); `typ` defaults to `at+jwt`. */
  header?: Record<string, unknown>;
  /** Seconds from now; null omits `exp`. @default 300 */
  expiresIn?: number | null;
  /** Seconds from now for `nbf`; undefined omits it. */
  notBefore?: number;
  /** @default the issuer */
  iss?: string | null;
  /** @default AUDIENCE */
  aud?: string | string[] | null;
}

export interface TokenIssuer {
  issuer: string;
  jwksUri: string;
  /** Number of JWKS fetches served. */
  fetches(): number;
  /** Number of discovery documents served or refused. */
  discoveries(): number;
  /**
   * How `/.well-known/openid-configuration` answers: with `jwks_uri` at `/certs` (Keycloak's
   * layout, not `/jwks`), with HTTP 503, or naming another issuer. @default "ok"
   */
  setDiscovery(mode: "ok" | "down" | "wrong-issuer"): void;
  /**
   * Signs any header with the published RSA key, bypassing jose's own checks (which
   * refuse to sign, e.g., an unknown `crit`): RS256 over `header.payload`.
   */
  mintRaw(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string>;
  /** Signs a token with claims `{ sub, scope, roles, ...claims }`. */
  mint(claims: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** Tokens for the contract's dev users. */
  user(name: "reader" | "writer" | "admin", options?: MintOptions): Promise<string>;
  /** Publishes the rogue key in the JWKS as kid `rogue-1` (a key rotation at the IdP). */
  publishRogue(): Promise<void>;
  /** Every token and header value handed out so far. */
  readonly minted: Set<string>;
  /** The published RSA public key as PEM (for the HS256 key-confusion attack). */
  rsaPublicPem: string;
  /** Remembers an attacker-made credential for the log check. */
  remember(secret: string): void;
  close(): Promise<void>;
}

export const USERS = {
  reader: { sub: "reader", scope: "openid notes.read", roles: [] as string[] },
  writer: { sub: "writer", scope: "openid notes.read notes.write", roles: [] as string[] },
  admin: { sub: "admin", scope: "openid notes.read notes.write", roles: ["admin"] },
} as const;

export async function startTokenIssuer(pki: DevPki): Promise<TokenIssuer> {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  const rogue = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = async (k: CryptoKey, kid: string, alg: string): Promise<JWK> => ({
    ...(await exportJWK(k)),
    kid,
    alg,
    use: "sig",
  });
  const jwks = {
    keys: [
      await publicJwk(rsa.publicKey, "rsa-1", "RS256"),
      await publicJwk(ec.publicKey, "ec-1", "ES256"),
    ],
  };
  const rsaPublicPem = createPublicKey({ key: jwks.keys[0] as never, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();

  let fetches = 0;
  let discoveries = 0;
  let discovery: "ok" | "down" | "wrong-issuer" = "ok";
  const server: Server = createServer(
    { cert: readFileSync(pki.localhost.cert), key: readFileSync(pki.localhost.key) },
    (req, res) => {
      if (req.url === "/.well-known/openid-configuration") {
        discoveries++;
        if (discovery === "down") {
          res.writeHead(503);
          res.end();
          return;
        }
        const iss = discovery === "ok" ? issuer : `${issuer}/other`;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: iss, jwks_uri: `${issuer}/certs` }));
        return;
      }
      if (req.url === "/jwks" || req.url === "/certs") {
        fetches++;
        res.writeHead(200, { "content-type": "application/jwk-set+json" });
        res.end(JSON.stringify(jwks));
        return;
      }
      res.writeHead(404);
      res.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://localhost:${port}`;
  const minted = new Set<string>();

  const mint = async (claims: Record<string, unknown>, o: MintOptions = {}) => {
    const which = o.key ?? "rsa";
    const pair = which === "ec" ? ec : which === "rogue" ? rogue : rsa;
    const alg = o.alg ?? (which === "ec" ? "ES256" : "RS256");
    const defaultKid = which === "ec" ? "ec-1" : "rsa-1";
    const kid = o.kid === undefined ? defaultKid : o.kid;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg, typ: "at+jwt", ...(kid === null ? {} : { kid }), ...o.header })
      .setIssuedAt(now);
    if (o.iss !== null) jwt.setIssuer(o.iss ?? issuer);
    if (o.aud !== null) jwt.setAudience(o.aud ?? AUDIENCE);
    if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 300));
    if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
    const token = await jwt.sign(pair.privateKey);
    minted.add(token);
    return token;
  };

  const mintRaw = async (header: Record<string, unknown>, claims: Record<string, unknown>) => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${enc({ alg: "RS256", typ: "at+jwt", kid: "rsa-1", ...header })}.${enc(claims)}`;
    const sig = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      rsa.privateKey,
      new TextEncoder().encode(input),
    );
    const token = `${input}.${Buffer.from(sig).toString("base64url")}`;
    minted.add(token);
    return token;
  };

  return {
    issuer,
    mintRaw,
    jwksUri: `${issuer}/jwks`,
    fetches: () => fetches,
    discoveries: () => discoveries,
    setDiscovery: (mode) => {
      discovery = mode;
    },
    mint,
    user: (name, options) => mint({ ...USERS[name], roles: [...USERS[name].roles] }, options),
    minted,
    rsaPublicPem,
    publishRogue: async () => {
      jwks.keys.push(await publicJwk(rogue.publicKey, "rogue-1", "RS256"));
    },
    remember: (secret) => {
      minted.add(secret);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
