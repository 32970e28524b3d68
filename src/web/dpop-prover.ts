/**
 * DPoP proofs in the browser (RFC 9449 §4): one per call, signed with a key pair whose
 * private half never leaves WebCrypto (non-extractable, kept in
 * IndexedDB and shared by the origin's tabs). A proof costs one ECDSA signature: the
 * header (with the public JWK) is encoded once per key and the token hash (`ath`) once
 * per token, so the per-call work is a random id, a small JSON and the signature.
 */

import { base64url, sha256Base64url as sha256 } from "./base64url.js";

/** What one proof covers. */
export interface ProofInput {
  /** HTTP method, `POST` for gRPC-Web. */
  readonly htm: string;
  /** The request URI without query and fragment, e.g. `https://api.example.com/pkg.Svc/Method`. */
  readonly htu: string;
  /**
   * The access token sent with the proof (its SHA-256 becomes `ath`); none for a proof to
   * the token endpoint.
   */
  readonly accessToken?: string;
  /** The server's nonce (`DPoP-Nonce`), when it asked for one. */
  readonly nonce?: string;
}

/** Makes proofs with one key pair. */
export interface DpopProver {
  /** A fresh proof (new `jti`, current `iat`). */
  proof(input: ProofInput): Promise<string>;
  /** The RFC 7638 thumbprint of the public key (the `cnf.jkt` of tokens bound to it). */
  thumbprint(): Promise<string>;
}

const encoder = new TextEncoder();

/** ES256 on a P-256 key pair (what `dpop()` generates). */
export function createDpopProver(keys: CryptoKeyPair): DpopProver {
  const jwk = crypto.subtle.exportKey("jwk", keys.publicKey).then(({ crv, kty, x, y }) => {
    if (kty !== "EC" || crv !== "P-256" || !x || !y) {
      throw new TypeError("DPoP keys must be ECDSA P-256 (ES256)");
    }
    return { crv, kty, x, y };
  });
  const header = jwk.then((k) =>
    base64url(JSON.stringify({ alg: "ES256", typ: "dpop+jwt", jwk: k })),
  );
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const thumb = jwk.then((k) => sha256(JSON.stringify({ crv: k.crv, kty: k.kty, x: k.x, y: k.y })));
  let hashed: { token: string; ath: Promise<string> } | undefined;

  return {
    thumbprint: () => thumb,
    async proof({ htm, htu, accessToken, nonce }) {
      if (accessToken !== undefined && hashed?.token !== accessToken) {
        hashed = { token: accessToken, ath: sha256(accessToken) };
      }
      const claims = {
        jti: crypto.randomUUID(),
        htm,
        htu,
        iat: Math.floor(Date.now() / 1000),
        ...(accessToken === undefined ? {} : { ath: await hashed?.ath }),
        ...(nonce === undefined ? {} : { nonce }),
      };
      const input = `${await header}.${base64url(JSON.stringify(claims))}`;
      const signature = await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        keys.privateKey,
        encoder.encode(input),
      );
      return `${input}.${base64url(new Uint8Array(signature))}`;
    },
  };
}
