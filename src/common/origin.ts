import { isLoopbackHost } from "./loopback.js";

/**
 * Why `origin` cannot be an allowed CORS origin, or undefined when it can: an exact
 * browser origin (`scheme://host[:port]`, as the `Origin` header carries it: no path, no
 * trailing slash, no wildcard), over https, or over http to a loopback host
 * ({@link isLoopbackHost}) for local development.
 *
 * The one allowed-origin rule: the backend kit's `withCors`, the gateway generator
 * (`cors.allowedOrigins`) and the lint (`cors-origin-insecure`) all apply it.
 *
 * @example originProblem("https://app.example.com") // undefined
 * @example originProblem("http://127.0.0.2:5173") // undefined
 * @example originProblem("http://app.example.com") // "…origins must be https…"
 */
export function originProblem(origin: string): string | undefined {
  const shown = JSON.stringify(origin);
  if (origin.includes("*")) return `${shown}: wildcards are not allowed; list exact origins`;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${shown} is not an origin (scheme://host[:port])`;
  }
  if (url.origin !== origin)
    return `${shown} is not an exact origin (no path, no trailing slash; expected ${url.origin})`;
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return `${shown}: origins must be https (http only for loopback development)`;
}
