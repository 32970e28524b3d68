/**
 * RFC 7638 JWK SHA-256 thumbprints, synchronously (node:crypto): the hash of the
 * key's required members in lexicographic order, base64url. This is the `cnf.jkt` of a
 * DPoP-bound access token (RFC 9449 §6.1).
 */
import { createHash } from "node:crypto";

/** Required members per key type (RFC 7638 §3.2, RFC 8037 §2 for OKP). */
const REQUIRED: Record<string, readonly string[]> = {
  EC: ["crv", "kty", "x", "y"],
  RSA: ["e", "kty", "n"],
  OKP: ["crv", "kty", "x"],
};

/** The thumbprint, or undefined when `jwk` lacks a required member or has an unknown `kty`. */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === "string" ? REQUIRED[jwk.kty] : undefined;
  if (!members) return undefined;
  const canonical: Record<string, string> = {};
  for (const m of members) {
    const value = jwk[m];
    if (typeof value !== "string" || value === "") return undefined;
    canonical[m] = value;
  }
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
}
