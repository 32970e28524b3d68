/**
 * The identity of an mTLS peer, read from its verified certificate: the URI SAN
 * (SPIFFE ID) first, then a DNS SAN, and the subject CN only when the certificate
 * has no SAN at all (RFC 6125 forbids falling back to the CN when SANs exist).
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { PeerCertificate, TLSSocket } from "node:tls";

/** Who is on the other end of an mTLS connection. */
export interface PeerIdentity {
  /** The identity used for the allow-list, e.g. `spiffe://grpc-web-oidc.local/gateway`. */
  readonly id: string;
  /** Where `id` came from. */
  readonly source: "uri-san" | "dns-san" | "cn";
  /** Every candidate of that source (a certificate may carry several DNS SANs). */
  readonly candidates: readonly string[];
}

/** Splits Node's `subjectaltname` string (`URI:a, DNS:b, DNS:"x,y"`) into entries. */
export function parseSubjectAltName(san: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (!san) return out;
  let i = 0;
  while (i < san.length) {
    const colon = san.indexOf(":", i);
    if (colon < 0) break;
    const type = san.slice(i, colon).trim();
    let j = colon + 1;
    let value: string;
    if (san[j] === '"') {
      // Node quotes values holding separators as JSON strings (CVE-2021-44532 fix).
      let k = j + 1;
      while (k < san.length && san[k] !== '"') k += san[k] === "\\" ? 2 : 1;
      try {
        value = JSON.parse(san.slice(j, k + 1)) as string;
      } catch {
        value = san.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const comma = san.indexOf(", ", j);
      const end = comma < 0 ? san.length : comma;
      value = san.slice(j, end);
      j = end;
    }
    out.push({ type, value });
    const next = san.indexOf(", ", j);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

/** The identity of a certificate, or undefined when it has neither SAN nor CN. */
export function peerIdentityFromCertificate(
  cert: Pick<PeerCertificate, "subject" | "subjectaltname">,
): PeerIdentity | undefined {
  const sans = parseSubjectAltName(cert.subjectaltname);
  const uris = sans.filter((s) => s.type === "URI").map((s) => s.value);
  if (uris.length > 0) return { id: uris[0]!, source: "uri-san", candidates: uris };
  const dns = sans.filter((s) => s.type === "DNS").map((s) => s.value);
  if (dns.length > 0) return { id: dns[0]!, source: "dns-san", candidates: dns };
  if (sans.length > 0) return undefined;
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (typeof name === "string" && name.length > 0) {
    return { id: name, source: "cn", candidates: [name] };
  }
  return undefined;
}

/**
 * The verified peer of a TLS socket: undefined unless the handshake verified a client
 * certificate (`socket.authorized`) and that certificate carries an identity.
 */
export function peerIdentityFromSocket(socket: TLSSocket): PeerIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  return peerIdentityFromCertificate(cert);
}

/** Peers already read, by HTTP/2 session. */
const sessionPeers = new WeakMap<object, PeerIdentity | undefined>();

/**
 * The verified peer of the connection a request came on (see {@link peerIdentityFromSocket});
 * undefined on a connection without TLS. On HTTP/2 the certificate is read once per session
 * rather than once per stream: the peer cannot change within a session, since HTTP/2 forbids
 * TLS renegotiation and Node disables it on every HTTP/2 socket.
 */
export function peerIdentityFromRequest(
  req: IncomingMessage | Http2ServerRequest,
): PeerIdentity | undefined {
  const socket = req.socket as TLSSocket | null;
  if (!socket || typeof socket.getPeerCertificate !== "function") return undefined;
  const session = "stream" in req ? req.stream?.session : undefined;
  if (!session) return peerIdentityFromSocket(socket);
  if (!sessionPeers.has(session)) sessionPeers.set(session, peerIdentityFromSocket(socket));
  return sessionPeers.get(session);
}

/** Checks peers against an explicit list of identities (exact match, no wildcards). */
export interface PeerAllowList {
  readonly allowed: readonly string[];
  /** The matching identity, or undefined when the peer is not on the list. */
  match(peer: PeerIdentity | undefined): PeerIdentity | undefined;
}

/** Builds an allow-list. An empty list is refused: it would silently admit no one. */
export function createPeerAllowList(allowed: readonly string[]): PeerAllowList {
  if (allowed.length === 0) throw new TypeError("allowedPeers must name at least one identity");
  for (const id of allowed) {
    if (!id || id.includes("*")) throw new TypeError(`invalid peer identity ${JSON.stringify(id)}`);
  }
  const set = new Set(allowed);
  return {
    allowed: [...allowed],
    match(peer) {
      if (!peer) return undefined;
      const hit = peer.candidates.find((c) => set.has(c));
      return hit === undefined ? undefined : { ...peer, id: hit };
    },
  };
}
