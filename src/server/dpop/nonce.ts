/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) without server state: a nonce is an
 * HMAC of the current time step under a secret, so every instance that shares the
 * secret (the gateway's verifier and the backend, or several replicas) issues and
 * accepts the same values. A nonce is accepted during the step it was issued in and
 * the next one, i.e. for between one and two steps.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface DpopNonceOptions {
  /** At least 32 random bytes, the same on every instance. Keep it secret. */
  secret: Uint8Array;
  /** Length of a time step in seconds. @default 60 */
  stepSeconds?: number;
  /** Clock, ms. @default Date.now */
  now?: () => number;
}

export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce` header). */
  current(): string;
  /** True when `nonce` was issued in this step or the previous one. */
  check(nonce: string): boolean;
}

export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const secret = Buffer.from(options.secret);
  if (secret.byteLength < 32) throw new TypeError("the DPoP nonce secret must be >= 32 bytes");
  const step = (options.stepSeconds ?? 60) * 1000;
  if (!(step > 0)) throw new TypeError("stepSeconds must be positive");
  const now = options.now ?? Date.now;
  // 128 bits of HMAC, base64url: 22 characters of the NQCHAR set (§8.1).
  const nonceAt = (n: number) =>
    createHmac("sha256", secret).update(`dpop-nonce:${n}`).digest().subarray(0, 16);
  let cached: { n: number; current: Buffer; previous: Buffer } | undefined;
  const window = () => {
    const n = Math.floor(now() / step);
    if (cached?.n !== n) cached = { n, current: nonceAt(n), previous: nonceAt(n - 1) };
    return cached;
  };
  return {
    current: () => window().current.toString("base64url"),
    check(nonce) {
      if (nonce.length !== 22) return false;
      const got = Buffer.from(nonce, "base64url");
      if (got.byteLength !== 16) return false;
      const w = window();
      // Both comparisons always run, so timing does not tell which step matched.
      const a = timingSafeEqual(got, w.current);
      const b = timingSafeEqual(got, w.previous);
      return a || b;
    },
  };
}
