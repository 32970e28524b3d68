/**
 * The mTLS listener (what Envoy talks to): only a client certificate from the mesh CA
 * whose identity is on the allow-list gets through; the handler sees that identity.
 * Client: @grpc/grpc-js, independent of Connect.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertPair, createCa, GATEWAY_SPIFFE, issueCert } from "../../demo/pki.js";
import { type Fixture, leakedSecrets, startFixture } from "./helpers/fixture.js";
import { grpcClients } from "./helpers/grpc-client.js";

const UNAVAILABLE = 14;
let fx: Fixture;
let certs: Record<string, CertPair | undefined>;
/** A second allowed identity, to show the CN is used only when a certificate has no SAN. */
const LEGACY_CN = "legacy-gateway.grpc-web-oidc.local";

beforeAll(async () => {
  fx = await startFixture({ allowedPeers: [GATEWAY_SPIFFE, LEGACY_CN] });
  const dir = join(fx.pki.dir, "test-certs");
  const otherCa = createCa(dir, "other-ca", "some other CA");
  const day = 86400_000;
  certs = {
    "no client certificate": undefined,
    "a certificate from another CA (gateway SAN)": issueCert({
      ca: otherCa,
      dir,
      name: "foreign-gateway",
      usage: "client",
      sans: [`URI:${GATEWAY_SPIFFE}`],
    }),
    "an expired gateway certificate": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "expired-gateway",
      usage: "client",
      sans: [`URI:${GATEWAY_SPIFFE}`],
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    }),
    "a not-yet-valid gateway certificate": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "future-gateway",
      usage: "client",
      sans: [`URI:${GATEWAY_SPIFFE}`],
      notBefore: new Date(Date.now() + day),
      notAfter: new Date(Date.now() + 10 * day),
    }),
    "a valid mesh certificate with another URI SAN": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "intruder",
      usage: "client",
      sans: [`URI:spiffe://grpc-web-oidc.local/intruder`],
    }),
    "a valid mesh certificate whose CN is allowed but SAN is not": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "cn-spoof",
      usage: "client",
      cn: LEGACY_CN,
      sans: ["DNS:intruder.local"],
    }),
    "a valid mesh certificate with only a CN not on the list": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "cn-only",
      usage: "client",
      cn: "intruder",
      sans: [],
    }),
    "the backend's own server certificate": fx.pki.backend,
    "a CN-only certificate whose CN is allowed": issueCert({
      ca: fx.pki.meshCa,
      dir,
      name: "legacy",
      usage: "client",
      cn: LEGACY_CN,
      sans: [],
    }),
  };
});
afterAll(async () => {
  await fx?.close();
});

describe("mTLS listener refuses", () => {
  const refused = [
    "no client certificate",
    "a certificate from another CA (gateway SAN)",
    "an expired gateway certificate",
    "a not-yet-valid gateway certificate",
    "a valid mesh certificate with another URI SAN",
    "a valid mesh certificate whose CN is allowed but SAN is not",
    "a valid mesh certificate with only a CN not on the list",
    "the backend's own server certificate",
  ];
  for (const name of refused) {
    it(name, async () => {
      const token = await fx.issuer.user("admin");
      const c = grpcClients(fx.backend.mtlsPort, { ca: fx.pki.meshCa.cert, identity: certs[name] });
      try {
        // Even public health and a valid admin token get nothing through.
        const health = await c.unary("health", "Check", { service: "" });
        expect(health.code).toBe(UNAVAILABLE);
        const who = await c.unary("notes", "WhoAmI", {}, { authorization: `Bearer ${token}` });
        expect(who.code).toBe(UNAVAILABLE);
        expect(who.messages).toEqual([]);
      } finally {
        c.close();
      }
    });
  }

  it("logs each refusal as a tls denial", () => {
    const tls = fx.records.filter((r) => (r as { layer?: string }).layer === "tls");
    const reasons = new Set(tls.map((r) => (r as { reason: string }).reason));
    expect(reasons).toContain("peer-not-allowed");
    expect(reasons).toContain("handshake-failed");
    expect(
      tls.some((r) => (r as { peer: string }).peer === "spiffe://grpc-web-oidc.local/intruder"),
    ).toBe(true);
  });
});

describe("a refused handshake is logged with its reason and the caller's address", () => {
  const cases: Array<[name: string, detail: string]> = [
    ["no client certificate", "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"],
    ["a certificate from another CA (gateway SAN)", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
    ["an expired gateway certificate", "CERT_HAS_EXPIRED"],
    ["a not-yet-valid gateway certificate", "CERT_NOT_YET_VALID"],
  ];
  for (const [name, detail] of cases) {
    it(`${name}: ${detail}`, async () => {
      const identity = certs[name];
      const local = await refusedHandshake(
        identity
          ? { cert: readFileSync(identity.cert), key: readFileSync(identity.key) }
          : { cert: undefined, key: undefined },
      );
      // The record is written when the server gives up on the socket: poll, bounded by count.
      const mine = (r: object) => (r as { peer?: string }).peer === `127.0.0.1:${local}`;
      let record: object | undefined;
      for (let i = 0; i < 100 && !record; i++) {
        record = fx.records.find(mine);
        if (!record) await new Promise((r) => setTimeout(r, 20));
      }
      expect(record).toMatchObject({
        layer: "tls",
        reason: "handshake-failed",
        code: "connection-closed",
        detail,
        peer: `127.0.0.1:${local}`,
      });
    });
  }
});

/**
 * Connects with the given client identity (the mesh CA trusted, so only the server can
 * refuse), sends a byte after the handshake so a TLS 1.3 refusal reaches us, and resolves with
 * the local port once the connection is over.
 */
function refusedHandshake(o: Partial<ConnectionOptions>): Promise<number> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: "127.0.0.1",
      port: fx.backend.mtlsPort,
      servername: "localhost",
      ca: readFileSync(fx.pki.meshCa.cert),
      ALPNProtocols: ["h2"],
      ...o,
    });
    let port = 0;
    s.on("connect", () => {
      port = s.localPort ?? 0;
    });
    s.on("secureConnect", () => s.write("x"));
    s.on("error", () => {});
    s.on("close", () => resolve(port));
  });
}

/** Handshake with the gateway identity and the given client TLS options. */
function handshake(
  o: Partial<ConnectionOptions>,
): Promise<{ protocol: string | null; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: "localhost",
      port: fx.backend.mtlsPort,
      servername: "localhost",
      ca: readFileSync(fx.pki.meshCa.cert),
      cert: readFileSync(fx.pki.gateway.cert),
      key: readFileSync(fx.pki.gateway.key),
      ALPNProtocols: ["h2"],
      ...o,
    });
    s.on("secureConnect", () => {
      const r = { protocol: s.getProtocol(), alpn: s.alpnProtocol ?? false };
      s.destroy();
      resolve(r);
    });
    s.on("error", reject);
  });
}

describe("mTLS listener TLS parameters", () => {
  it("negotiates TLS 1.3 and ALPN h2 with the gateway", async () => {
    expect(await handshake({})).toEqual({ protocol: "TLSv1.3", alpn: "h2" });
  });
  it("still speaks TLS 1.2 (Envoy's default client maximum)", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2" })).toEqual({ protocol: "TLSv1.2", alpn: "h2" });
  });
  it("refuses TLS 1.1", async () => {
    await expect(handshake({ minVersion: "TLSv1", maxVersion: "TLSv1.1" })).rejects.toThrow();
  });
  it("does not negotiate http/1.1", async () => {
    const r = await handshake({ ALPNProtocols: ["http/1.1"] }).catch(() => ({ alpn: "refused" }));
    expect(r.alpn).not.toBe("http/1.1");
  });
});

describe("mTLS listener accepts the gateway", () => {
  it("answers health without a token", async () => {
    const c = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: fx.pki.gateway,
    });
    try {
      const r = await c.unary("health", "Check", { service: "" });
      expect(r.code).toBe(0);
      expect(r.messages[0]).toMatchObject({ status: "SERVING" });
      const w = await c.stream(
        "health",
        "Watch",
        { service: "demo.v1.NotesService" },
        {},
        (_m, call) => call.cancel(),
      );
      expect(w.messages[0]).toMatchObject({ status: "SERVING" });
    } finally {
      c.close();
    }
  });

  it("passes the peer identity and the principal to the handler", async () => {
    const token = await fx.issuer.user("admin");
    const c = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: fx.pki.gateway,
    });
    try {
      const r = await c.unary("notes", "WhoAmI", {}, { authorization: `Bearer ${token}` });
      expect(r.code).toBe(0);
      expect(r.messages[0]).toMatchObject({
        subject: "admin",
        scopes: ["openid", "notes.read", "notes.write"],
        roles: ["admin"],
        peerIdentity: GATEWAY_SPIFFE,
      });
      const expiresIn = Number((r.messages[0] as { tokenExpiresInS: string }).tokenExpiresInS);
      expect(expiresIn).toBeGreaterThan(0);
      expect(expiresIn).toBeLessThanOrEqual(300);
    } finally {
      c.close();
    }
  });

  it("accepts a CN identity when the certificate has no SAN at all", async () => {
    const token = await fx.issuer.user("reader");
    const c = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: certs["a CN-only certificate whose CN is allowed"],
    });
    try {
      const r = await c.unary("notes", "WhoAmI", {}, { authorization: `Bearer ${token}` });
      expect(r.code).toBe(0);
      expect(r.messages[0]).toMatchObject({ peerIdentity: LEGACY_CN });
    } finally {
      c.close();
    }
  });

  it("serves gRPC only: the dev listener's peer identity is empty", async () => {
    const token = await fx.issuer.user("reader");
    const who = await fx.webClient().whoAmI({}, { headers: { authorization: `Bearer ${token}` } });
    expect(who.subject).toBe("reader");
    expect(who.peerIdentity).toBe("");
  });
});

describe("logs", () => {
  it("contain no token", () => {
    expect(fx.issuer.minted.size).toBeGreaterThan(0);
    expect(leakedSecrets(fx.records, fx.issuer.minted)).toEqual([]);
  });
});
