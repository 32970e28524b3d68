/**
 * Whether a host is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`
 * (bare, or in brackets as a URL's `hostname` writes it; other spellings of `::1` are
 * normalised the way URLs normalise them).
 *
 * The one loopback rule of the project: the SDK's plaintext guard
 * (`allowInsecureLoopback`), the allowed-origin check of the backend kit and the gateway
 * generator, the generator's admin-address check and the lint all use it. It is the set
 * browsers treat as potentially trustworthy by address (W3C Secure Contexts §3.2), minus
 * `*.localhost` names, whose resolution to loopback is up to the resolver.
 *
 * @example isLoopbackHost("127.0.0.2") // true
 * @example isLoopbackHost("[::1]") // true
 * @example isLoopbackHost("localhost.example.com") // false
 */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  if (!host.includes(":")) return false;
  const bracketed = host.startsWith("[") ? host : `[${host}]`;
  try {
    return new URL(`http://${bracketed}/`).hostname === "[::1]";
  } catch {
    return false;
  }
}
