/**
 * The plaintext guard: credentials only travel over https, or over http to this machine when
 * the caller asked for it by name.
 */

import { isLoopbackHost } from "../common/loopback.js";
import { InsecureTransportError } from "./errors.js";

/**
 * Resolve `url` (relative URLs against the page's location) and throw
 * {@link InsecureTransportError} unless it is https, or http to a loopback host with
 * `allowInsecureLoopback`. Returns the resolved URL.
 */
export function assertSecureUrl(url: string | URL, allowInsecureLoopback = false): URL {
  let parsed: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    parsed = new URL(url, base);
  } catch {
    throw new InsecureTransportError("(unparseable URL)", "not an absolute https URL");
  }
  const origin = `${parsed.protocol}//${parsed.host}`;
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:") {
    if (!allowInsecureLoopback) {
      throw new InsecureTransportError(
        origin,
        "plaintext http; use https (for local development on loopback only, set allowInsecureLoopback: true)",
      );
    }
    if (isLoopbackHost(parsed.hostname)) return parsed;
    throw new InsecureTransportError(
      origin,
      "allowInsecureLoopback permits http only to localhost, 127.0.0.0/8 or [::1]",
    );
  }
  throw new InsecureTransportError(origin, `unsupported scheme ${parsed.protocol}`);
}
