/**
 * node:net's `isIP`, without loading node:net for text that cannot be an IPv6 address.
 * node:net brings the socket and stream modules with it, a noticeable part of a cached
 * `envoy validate` or `generate --check` run that never opens a socket. IPv4 is matched with
 * node:net's own pattern; anything with a `:` (every IPv6 form has one) goes to node:net.
 * test/envoy/ip.test.ts holds it to node:net's answers.
 */
import { createRequire } from "node:module";

const V4_SEG = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const IPV4 = new RegExp(`^(?:${V4_SEG}\\.){3}${V4_SEG}$`);

/** 4 for an IPv4 address, 6 for IPv6, else 0 (as node:net's isIP). */
export function isIP(s: string): 0 | 4 | 6 {
  if (IPV4.test(s)) return 4;
  if (!s.includes(":")) return 0;
  const net = createRequire(import.meta.url)("node:net") as typeof import("node:net");
  return net.isIPv6(s) ? 6 : 0;
}
