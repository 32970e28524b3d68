/**
 * DPoP proofs for tests, well-formed or broken on purpose: a proof key (its private
 * half stays in this process), and a builder whose every field can be overridden or
 * removed, signed over exactly the header and claims given (no library checks).
 */
import { createHash, randomUUID } from "node:crypto";
import { base64url, type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";
import { jwkThumbprint } from "../../../src/server/index.js";

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  /** The public JWK, as a proof header carries it. */
  jwk: JWK;
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  jkt: string;
  /** The private JWK (for the "private key in the header" attack). */
  privateJwk: JWK;
}

export async function proofKey(alg = "ES256"): Promise<ProofKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return {
    alg,
    privateKey: pair.privateKey,
    jwk,
    jkt: jwkThumbprint(jwk as Record<string, unknown>)!,
    privateJwk: await exportJWK(pair.privateKey),
  };
}

export const ath = (token: string) => createHash("sha256").update(token).digest("base64url");
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface ProofOptions {
  /** Request target. */
  htu: string;
  /** @default "POST" */
  htm?: string;
  /** The token the proof goes with (its hash becomes `ath`). */
  token: string;
  /** @default now */
  iat?: number;
  /** @default a fresh UUID */
  jti?: string;
  nonce?: string;
  /** Header fields merged over `{ typ, alg, jwk }`; `undefined` removes one. */
  header?: Record<string, unknown>;
  /** Claims merged over the defaults; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Sign with this key instead (the header still names `key.jwk` unless overridden). */
  signWith?: ProofKey;
}

/** A proof signed by `key` (or `signWith`). */
export async function makeProof(key: ProofKey, o: ProofOptions): Promise<string> {
  const header = dropUndefined({ typ: "dpop+jwt", alg: key.alg, jwk: key.jwk, ...o.header });
  const claims = dropUndefined({
    jti: o.jti ?? randomUUID(),
    htm: o.htm ?? "POST",
    htu: o.htu,
    iat: o.iat ?? nowSeconds(),
    ath: ath(o.token),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
    ...o.claims,
  });
  const signer = o.signWith ?? key;
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
  // WebCrypto directly: jose would refuse some of the headers tests need (crit, …).
  const signature = await crypto.subtle.sign(
    SIGN_PARAMS[signer.alg]!,
    signer.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

const SIGN_PARAMS: Record<string, AlgorithmIdentifier | EcdsaParams | RsaPssParams> = {
  ES256: { name: "ECDSA", hash: "SHA-256" },
  ES384: { name: "ECDSA", hash: "SHA-384" },
  ES512: { name: "ECDSA", hash: "SHA-512" },
  RS256: { name: "RSASSA-PKCS1-v1_5" },
  PS256: { name: "RSA-PSS", saltLength: 32 },
  EdDSA: { name: "Ed25519" },
};

/** A proof for a token request (RFC 9449 §5): no access token, so no `ath`. */
export function tokenRequestProof(key: ProofKey, htu: string, nonce?: string): Promise<string> {
  return makeProof(key, {
    htu,
    token: "",
    claims: { ath: undefined },
    ...(nonce !== undefined ? { nonce } : {}),
  });
}

/** A compact JWS from raw parts (for `alg: none`, HMAC and garbage). */
export function rawProof(header: object, claims: object, signature: string): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
