/** The host (IPv6 brackets removed, as Envoy's socket address wants it) and port of an https URL. */
export function httpsHostPort(href: string): { host: string; port: number } {
  const url = new URL(href);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 443,
  };
}
