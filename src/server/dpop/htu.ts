/**
 * The `htu` comparison of RFC 9449 §4.3 (9): the proof's URI, without query and
 * fragment, after syntax- and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3),
 * must equal a configured public origin plus the request's path. The origin is never
 * taken from the request (Host, :authority or X-Forwarded-*), which a client controls.
 */

/** Normalises a configured public origin; throws TypeError on anything but scheme://host[:port]. */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError(`DPoP origin ${JSON.stringify(origin)} is not a URL`);
  }
  if (
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    throw new TypeError(
      `DPoP origin ${JSON.stringify(origin)} must be exactly scheme://host[:port] (the public origin clients call)`,
    );
  }
  return url.origin;
}

/** Splits an `htu` into normalised origin and path; undefined when it is not an http(s) URI. */
export function parseHtu(htu: string): { origin: string; path: string } | undefined {
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  // Credentials in the URI are not part of any request target we serve.
  if (url.username !== "" || url.password !== "") return undefined;
  return { origin: url.origin, path: normalizePath(url.pathname) };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 3986 §6.2.2: percent-encodings of unreserved characters are decoded, the others
 * upper-cased. Dot segments are already removed by the URL parser for `htu`; request
 * paths come from the router, which matched them exactly.
 */
export function normalizePath(path: string): string {
  const clean = path.split(/[?#]/, 1)[0] ?? "";
  return clean.replace(/%([0-9A-Fa-f]{2})/g, (match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : match.toUpperCase();
  });
}
